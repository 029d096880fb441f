package dev.warden.example.spring;

import dev.warden.spring.WardenRetry;
import dev.warden.testing.SharedPostgres;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.annotation.Transactional;

/** Test-only work that meets a real concurrent update (40001) or a lost session on its first run. */
@Service
class ConflictingWork {

    /** Static: the bean is a CGLIB proxy, whose own fields are not the target's. */
    static final AtomicInteger runs = new AtomicInteger();
    private final JdbcClient jdbc;

    ConflictingWork(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @WardenRetry
    @Transactional(isolation = Isolation.REPEATABLE_READ)
    public long addInterestRetried(long id, long interest) {
        return addInterest(id, interest);
    }

    @Transactional(isolation = Isolation.REPEATABLE_READ)
    public long addInterestOnce(long id, long interest) {
        return addInterest(id, interest);
    }

    /** Reads (snapshot taken), lets another session update the row on the first run, then writes. */
    private long addInterest(long id, long interest) {
        long balance = jdbc.sql("select balance from account where id = ?").param(id).query(Long.class).single();
        if (runs.incrementAndGet() == 1) {
            SharedPostgres.exec("update bank.account set balance = balance + 1 where id = " + id); // another session
        }
        jdbc.sql("update account set balance = balance + ? where id = ?").params(interest, id).update();
        return balance;
    }

    /** Kills its own session on the first run: a CONNECTION failure before COMMIT, retried whole. */
    @WardenRetry
    @Transactional
    public void depositLosingSessionOnce(long id, long amount) {
        jdbc.sql("update account set balance = balance + ? where id = ?").params(amount, id).update();
        if (runs.incrementAndGet() == 1) {
            jdbc.sql("select pg_terminate_backend(pg_backend_pid())").query().singleValue();
        }
    }
}
