package dev.warden.example.spring;

/** A checked exception: with the Warden starter, {@code @Transactional} rolls back on it too. */
public class InsufficientFundsException extends Exception {

    public InsufficientFundsException(long account, long balance, long amount) {
        super("Account " + account + " has " + balance + ", cannot send " + amount);
    }
}
