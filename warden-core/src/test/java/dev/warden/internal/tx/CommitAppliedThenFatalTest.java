package dev.warden.internal.tx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.warden.testing.SharedPostgres;
import dev.warden.testing.ThrowawayDatabase;
import dev.warden.tx.Isolation;
import dev.warden.tx.RetryPolicy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

/**
 * A COMMIT answered with FATAL 57P01 can have been applied (found by an adversarial review of a first
 * reading that took that FATAL for "not applied"): the server reports it complete, then ends the
 * session. pgjdbc's {@code commit()} throws only the FATAL; Warden reads the answer itself.
 *
 * <p>PostgreSQL holds interrupts while it writes and flushes the commit record, so a
 * {@code pg_terminate_backend} (or a fast shutdown's SIGTERM) that arrives then stays pending; it is
 * acted on at the next interrupt check, and on the extended protocol that pgjdbc uses the next one
 * is in {@code PostgresMain} right after it has read the {@code Sync} that follows the COMMIT's
 * {@code Execute} (step "(5) disable async signal conditions again"), before {@code ReadyForQuery}.
 * The backend then sends CommandComplete(COMMIT) followed by {@code FATAL 57P01} and exits, with the
 * commit durable. {@code commit_delay} (with {@code commit_siblings = 0} and {@code fsync = on})
 * makes the backend sleep inside that window, so the termination lands there every time.
 */
class CommitAppliedThenFatalTest {

    private static final ExecutorService THREADS = Executors.newCachedThreadPool();
    private static ThrowawayDatabase db;

    @BeforeAll
    static void start() throws SQLException {
        db = ThrowawayDatabase.start("commit-applied-then-fatal", Map.of("fsync", "on", "synchronous_commit", "on"));
        try (Connection c = admin(); Statement st = c.createStatement()) {
            st.execute("create table cf_log (id int not null, note text not null)");
        }
    }

    @AfterAll
    static void stop() {
        THREADS.shutdownNow();
        db.close();
    }

    private static Connection admin() throws SQLException {
        return DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
    }

    private static long count(String sql) throws SQLException {
        try (Connection c = admin(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Makes this transaction's COMMIT sleep 100 ms after writing its commit record, before flushing it. */
    private static void slowCommitRecord(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("set local commit_delay = 100000");
            st.execute("set local commit_siblings = 0");
        }
    }


    /**
     * Terminates {@code pid} once it runs COMMIT, from a session opened beforehand (a new one per poll
     * would take longer than the window on a busy machine); true when the server signalled it, false
     * when {@code done} came first (the COMMIT was answered before it was seen running).
     */
    private static Future<Boolean> terminateDuringCommit(int pid, AtomicBoolean done) throws SQLException {
        Connection admin = admin();
        return THREADS.submit(() -> {
            try (admin; Statement st = admin.createStatement()) {
                AtomicBoolean seen = new AtomicBoolean();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2)).until(() -> {
                    try (ResultSet rs = st.executeQuery("select count(*) from pg_stat_activity where pid = " + pid
                            + " and state = 'active' and query = 'COMMIT'")) {
                        rs.next();
                        seen.set(rs.getLong(1) == 1);
                    }
                    return seen.get() || done.get();
                });
                if (!seen.get()) {
                    return false;
                }
                try (ResultSet rs = st.executeQuery("select pg_terminate_backend(" + pid + ")")) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            }
        });
    }

    @Test
    void aCommitAnsweredWithFatal57P01WasApplied() throws Exception {
        PSQLException e = null;
        int id = 0;
        // bounded: on a busy machine the termination can land after the COMMIT's answer; try again then
        while (e == null && id < 10) {
            id++;
            try (Connection c = admin()) {
                c.setAutoCommit(false);
                slowCommitRecord(c);
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("insert into cf_log values (" + id + ", 'raw')");
                }
                AtomicBoolean done = new AtomicBoolean();
                Future<Boolean> terminated = terminateDuringCommit(SharedPostgres.backendPid(c), done);
                try {
                    c.commit();
                } catch (PSQLException thrown) {
                    e = thrown;
                } finally {
                    done.set(true);
                }
                terminated.get();
            }
        }
        assertThat((Throwable) e).as("a COMMIT's failure in %s tries", id).isNotNull();
        assertThat(e.getSQLState()).isEqualTo("57P01");
        assertThat(e.getServerErrorMessage()).isNotNull();
        assertThat(e.getServerErrorMessage().getSeverity()).isEqualTo("FATAL");
        assertThat(CommitAnswer.notApplied(e, false)).as("the exception alone: not known to be unapplied").isFalse();
        assertThat(count("select count(*) from cf_log where id = " + id)).as("the row, applied all the same").isEqualTo(1);
    }

    /**
     * What Warden does with such a COMMIT: it reads the answer itself ({@code WireCommit}), sees
     * CommandComplete(COMMIT) before the FATAL, and reports success, once. Running the work again (a
     * second row) would be a duplicate write; an unknown outcome would be true but needless.
     */
    @Test
    void wardenReadsTheCompletionBeforeTheFatalAndReportsTheCommitOnce() throws Exception {
        try (HikariDataSource pool = new HikariDataSource()) {
            pool.setJdbcUrl(db.jdbcUrl());
            pool.setUsername(db.user());
            pool.setAutoCommit(false);
            pool.setMaximumPoolSize(2);
            Transactions t = new Transactions(pool, pool::evictConnection,
                    RetryPolicy.of(3, Duration.ofMillis(1), Duration.ofMillis(5)), Isolation.DEFAULT, new TxCounters());
            int id = 100;
            // bounded: on a busy machine the termination can land after the COMMIT's answer; try again then
            while (t.stats().commitResolved() == 0 && id < 110) {
                int thisId = ++id;
                AtomicInteger runs = new AtomicInteger();
                List<Future<Boolean>> terminated = new ArrayList<>();
                AtomicBoolean done = new AtomicBoolean();
                try {
                    t.inTransaction(tx -> {
                        runs.incrementAndGet();
                        slowCommitRecord(tx.connection());
                        try (Statement st = tx.connection().createStatement()) {
                            st.executeUpdate("insert into cf_log values (" + thisId + ", 'run " + runs.get() + "')");
                        }
                        if (terminated.isEmpty()) { // the first run to reach COMMIT (a pooled connection can be dead)
                            terminated.add(terminateDuringCommit(SharedPostgres.backendPid(tx.connection()), done));
                        }
                        return null;
                    });
                } finally {
                    done.set(true);
                }
                terminated.get(0).get();
                assertThat(count("select count(*) from cf_log where id = " + thisId))
                        .as("rows written by a work meant to run once (runs: %s)", runs.get())
                        .isEqualTo(1);
            }
            assertThat(t.stats().commitResolved())
                    .as("a COMMIT answered with CommandComplete and then FATAL, in %s tries", id - 100).isPositive();
            assertThat(t.stats().snapshot().commitUnknown()).isZero();
        }
    }
}
