package dev.warden.example.spring;

import dev.warden.spring.WardenRetry;
import java.util.List;
import java.util.Optional;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.annotation.Transactional;

/** The accounts and transfers, in plain Spring: {@code @Transactional} and {@code JdbcClient}. */
@Service
public class Bank {

    /** An account and its balance. */
    public record Account(long id, String owner, long balance) {
    }

    private final JdbcClient jdbc;

    public Bank(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional(readOnly = true)
    public Optional<Account> account(long id) {
        return jdbc.sql("select id, owner, balance from account where id = ?").param(id)
                .query(Account.class).optional();
    }

    @Transactional(readOnly = true)
    public List<Account> accounts() {
        return jdbc.sql("select id, owner, balance from account order by id").query(Account.class).list();
    }

    /**
     * Moves {@code amount} from one account to another, all or nothing. Runs at REPEATABLE READ: two
     * transfers that touch the same account concurrently make one fail with 40001, and
     * {@link WardenRetry} runs that one again, whole, in a new transaction.
     */
    @WardenRetry
    @Transactional(isolation = Isolation.REPEATABLE_READ)
    public long transfer(long from, long to, long amount, String note) throws InsufficientFundsException {
        jdbc.sql("update account set balance = balance + ? where id = ?").params(amount, to).update();
        long balance = jdbc.sql("select balance from account where id = ?").param(from).query(Long.class).single();
        if (balance < amount) {
            // Checked: with the Warden starter the credit above is rolled back all the same.
            throw new InsufficientFundsException(from, balance, amount);
        }
        jdbc.sql("update account set balance = balance - ? where id = ?").params(amount, from).update();
        return jdbc.sql("insert into transfer (from_id, to_id, amount, note) values (?, ?, ?, ?) returning id")
                .params(from, to, amount, note).query(Long.class).single();
    }

    /**
     * A mistake to learn from: the transfer's note must be unique, and this method swallows the
     * failure of that insert. PostgreSQL has aborted the transaction by then (25P02), so Warden's
     * transaction manager rolls it back at commit and throws {@code TransactionAbortedException}
     * instead of reporting a success that did not happen.
     */
    @Transactional
    public boolean transferSwallowingErrors(long from, long to, long amount, String note) {
        jdbc.sql("update account set balance = balance - ? where id = ?").params(amount, from).update();
        jdbc.sql("update account set balance = balance + ? where id = ?").params(amount, to).update();
        try {
            jdbc.sql("insert into transfer (from_id, to_id, amount, note) values (?, ?, ?, ?)")
                    .params(from, to, amount, note).update();
            return true;
        } catch (DataAccessException duplicate) {
            return false;
        }
    }

    /** Total money in the bank: transfers move it, never make or lose it. */
    @Transactional(readOnly = true)
    public long total() {
        return jdbc.sql("select coalesce(sum(balance), 0) from account").query(Long.class).single();
    }
}
