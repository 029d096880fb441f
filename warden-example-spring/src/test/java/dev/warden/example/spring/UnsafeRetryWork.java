package dev.warden.example.spring;

import dev.warden.spring.WardenRetry;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** Test-only work that a retry must not run twice: its first attempt committed something. */
@Service
class UnsafeRetryWork {

    /** Static: the bean is a CGLIB proxy, whose own fields are not the target's. */
    static final AtomicInteger runs = new AtomicInteger();
    private final JdbcClient jdbc;

    UnsafeRetryWork(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Commits, then an afterCommit callback fails with a CONNECTION-kind error on the first run. */
    @WardenRetry
    @Transactional
    public void depositThenAfterCommitFails(long id, long amount) {
        jdbc.sql("update account set balance = balance + ? where id = ?").params(amount, id).update();
        boolean first = runs.incrementAndGet() == 1;
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                if (first) {
                    throw new DataAccessResourceFailureException("notification channel lost",
                            new SQLException("connection lost after commit", "08006"));
                }
            }
        });
    }

    /** No transaction: the first statement auto-commits; the second loses its session on the first run. */
    @WardenRetry
    public void depositAutoCommittedThenLoseSession(long id, long amount) {
        depositThenLoseSession(id, amount);
    }

    void depositThenLoseSession(long id, long amount) {
        jdbc.sql("update account set balance = balance + ? where id = ?").params(amount, id).update();
        if (runs.incrementAndGet() == 1) {
            jdbc.sql("select pg_terminate_backend(pg_backend_pid())").query().singleValue();
        }
    }

    /** A write in a read-only transaction: SQLState 25006, the work's own mistake. */
    @WardenRetry
    @Transactional(readOnly = true)
    public void writeInReadOnly(long id) {
        runs.incrementAndGet();
        jdbc.sql("update account set balance = balance + 1 where id = ?").param(id).update();
    }
}
