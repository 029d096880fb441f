package dev.warden.spring;

import org.springframework.transaction.UnexpectedRollbackException;

/**
 * A transaction reached its commit with the server's transaction already aborted (SQLState 25P02):
 * a statement failed inside it and its error was caught. Warden rolled it back instead of committing,
 * so nothing it wrote is in the database. Let the error propagate, or use a savepoint
 * ({@code Propagation.NESTED}) to recover from an expected failure.
 */
public class TransactionAbortedException extends UnexpectedRollbackException {

    public TransactionAbortedException(String message) {
        super(message);
    }

    /** Always {@code 25P02}. */
    public String sqlState() {
        return "25P02";
    }
}
