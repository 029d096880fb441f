package dev.warden.internal.tx;

import static dev.warden.testing.SharedPostgres.exec;
import static dev.warden.testing.SharedPostgres.queryLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.zaxxer.hikari.HikariDataSource;
import dev.warden.CommitOutcomeUnknownException;
import dev.warden.testing.SlowCommit;
import dev.warden.testing.SharedPostgres;
import dev.warden.tx.Isolation;
import dev.warden.tx.RetryPolicy;
import dev.warden.tx.Tx;
import dev.warden.tx.TxStats;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.core.BaseConnection;

/**
 * A COMMIT lost with its connection, resolved by asking the server what became of the transaction.
 * The COMMIT is made slow by a deferred constraint trigger that sleeps for rows marked 'slow'; the
 * connection is then cut from the client side (the backend goes on and commits) or the backend is
 * terminated (the transaction aborts).
 */
class VerifyCommitTest {

    private static final ExecutorService THREADS = Executors.newCachedThreadPool();
    private static HikariDataSource pool;

    @BeforeAll
    static void start() {
        exec("create table if not exists vc_log (id int not null, note text not null)");
        exec(SlowCommit.on("vc_log", "new.note = 'slow'", 1));
        pool = new HikariDataSource();
        pool.setJdbcUrl(SharedPostgres.url());
        pool.setUsername("postgres");
        pool.setAutoCommit(false);
        pool.setMaximumPoolSize(4);
    }

    @AfterAll
    static void stop() {
        THREADS.shutdownNow();
        pool.close();
    }

    @BeforeEach
    void empty() {
        exec("truncate vc_log");
    }

    private static Transactions transactions(DataSource verifyFrom, boolean byDefault) {
        return new Transactions(pool, pool::evictConnection, RetryPolicy.of(3, Duration.ofMillis(1),
                Duration.ofMillis(5)), Isolation.DEFAULT, new TxCounters(),
                new Transactions.Verification(verifyFrom, byDefault));
    }

    private static void insert(Tx tx, int id, String note) throws SQLException {
        try (Statement st = tx.connection().createStatement()) {
            st.executeUpdate("insert into vc_log values (" + id + ", '" + note + "')");
        }
    }

    /** Cuts the client's socket after a moment, while COMMIT is being processed; the backend goes on. */
    private static void cutSocketSoon(Tx tx) throws SQLException {
        BaseConnection pg = tx.connection().unwrap(BaseConnection.class);
        THREADS.execute(() -> {
            try {
                Thread.sleep(300);
                pg.abort(Runnable::run);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void terminateBackendSoon(Tx tx) throws SQLException {
        int pid;
        try (Statement st = tx.connection().createStatement(); var rs = st.executeQuery("select pg_backend_pid()")) {
            rs.next();
            pid = rs.getInt(1);
        }
        THREADS.execute(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exec("select pg_terminate_backend(" + pid + ")");
        });
    }

    @Test
    void commitLostWhileTheServerGoesOnIsResolvedAsCommittedAndAfterCommitRuns() {
        Transactions t = transactions(pool, false);
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger callbacks = new AtomicInteger();
        String result = t.transaction().verifyCommit().label("resolved").call(tx -> {
            runs.incrementAndGet();
            insert(tx, 1, "slow");
            tx.afterCommit(callbacks::incrementAndGet);
            cutSocketSoon(tx);
            return "ok";
        });
        assertThat(result).isEqualTo("ok");
        assertThat(runs).hasValue(1);
        assertThat(callbacks).hasValue(1);
        assertThat(queryLong("select count(*) from vc_log")).isEqualTo(1);
        assertThat(t.stats().commitResolved()).isEqualTo(1);
        assertThat(t.stats().snapshot().commitUnknown()).isZero();
        assertThat(t.stats().snapshot().committed()).isEqualTo(1);
    }

    @Test
    void commitThatAbortedIsRetriedLikeATransientFailure() {
        Transactions t = transactions(pool, true); // WARDEN_TX_VERIFY_COMMIT: every transaction
        AtomicInteger runs = new AtomicInteger();
        t.inTransaction(tx -> {
            int run = runs.incrementAndGet();
            insert(tx, run, run == 1 ? "slow" : "fast");
            if (run == 1) {
                terminateBackendSoon(tx);
            }
            return null;
        });
        assertThat(runs).hasValue(2);
        assertThat(queryLong("select count(*) from vc_log")).isEqualTo(1);
        assertThat(queryLong("select id from vc_log")).isEqualTo(2);
        assertThat(t.stats().commitResolved()).isEqualTo(1);
        assertThat(t.stats().snapshot().retries()).isEqualTo(1);
    }

    @Test
    void noServerToAskMeansCommitOutcomeUnknownAndNoRetry() {
        DataSource nowhere = new org.postgresql.ds.PGSimpleDataSource() {
            @Override
            public Connection getConnection() throws SQLException {
                throw new SQLException("no server answers", "08001");
            }
        };
        Transactions t = transactions(nowhere, false);
        t.verifyPatience(Duration.ofMillis(300));
        AtomicInteger runs = new AtomicInteger();
        CommitOutcomeUnknownException e = catchThrowableOfType(CommitOutcomeUnknownException.class,
                () -> t.transaction().verifyCommit().run(tx -> {
                    runs.incrementAndGet();
                    insert(tx, 1, "slow");
                    cutSocketSoon(tx);
                }));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("no server could tell");
        assertThat(runs).hasValue(1);
        assertThat(t.stats().snapshot().commitUnknown()).isEqualTo(1);
    }

    @Test
    void withoutVerifyCommitALostCommitIsUnknownAtOnce() throws Exception {
        Transactions t = transactions(pool, false);
        long t0 = System.nanoTime();
        CommitOutcomeUnknownException e = catchThrowableOfType(CommitOutcomeUnknownException.class,
                () -> t.transaction().run(tx -> {
                    insert(tx, 1, "slow");
                    cutSocketSoon(tx);
                }));
        assertThat(e).isNotNull();
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(10);
        assertThat(t.stats().commitResolved()).isZero();
    }

    /**
     * The COMMIT never reaches the server (a black-holed, half-open TCP connection, or a client that
     * died between the ticket and the COMMIT): the backend sits idle in the transaction, holding its
     * locks, until TCP gives up (hours), and "in progress" is all the server can say. The verifier
     * ends that backend, which settles the outcome: aborted, known at once, safe to run again.
     */
    @Test
    void transactionStrandedIdleOnTheServerIsEndedAndFoundAborted() throws Exception {
        try (Connection stranded = SharedPostgres.connect()) {
            stranded.setAutoCommit(false);
            try (Statement st = stranded.createStatement()) {
                st.executeUpdate("insert into vc_log values (1, 'fast')");
            }
            CommitVerifier.Ticket ticket = CommitVerifier.ticket(stranded);
            assertThat(ticket.xid()).isNotNull();
            long t0 = System.nanoTime();
            CommitVerifier.Outcome outcome = new CommitVerifier(pool, Duration.ofSeconds(10)).resolve(ticket, "stranded");
            assertThat(outcome).isEqualTo(CommitVerifier.Outcome.ABORTED);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(8);
            assertThat(stranded.isValid(5)).isFalse();
        }
        assertThat(queryLong("select count(*) from vc_log")).isZero();
    }
}
