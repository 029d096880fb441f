package dev.warden.internal.tx;

import static dev.warden.testing.SharedPostgres.exec;
import static dev.warden.testing.SharedPostgres.queryLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.warden.CommitOutcomeUnknownException;
import dev.warden.testing.SharedPostgres;
import dev.warden.testing.SlowCommit;
import dev.warden.testing.ThrowawayDatabase;
import dev.warden.tx.Isolation;
import dev.warden.tx.RetryPolicy;
import dev.warden.tx.Tx;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A COMMIT that the server answers by ending the session, without {@code verifyCommit}, on a direct
 * connection: a FATAL from an interrupt check (57P01 from a restart, a switchover or
 * {@code pg_terminate_backend}; 25P03 after the idle timeout) with no CommandComplete before it shows
 * that it was not applied, and Warden runs the work again (the FATAL after a CommandComplete:
 * {@code CommitAppliedThenFatalTest}). Behind a pooler, and when the session ends while its commit
 * waits for a synchronous standby, the outcome is unknown.
 */
class CommitAnswerTest {

    private static final ExecutorService THREADS = Executors.newCachedThreadPool();
    private static HikariDataSource pool;

    @BeforeAll
    static void start() {
        exec("create table if not exists ca_log (id int not null, note text not null)");
        exec(SlowCommit.on("ca_log", "new.note = 'slow'", 2));
        pool = pool(SharedPostgres.url(), ThrowawayDatabase.USER);
    }

    @AfterAll
    static void stop() {
        THREADS.shutdownNow();
        pool.close();
    }

    @BeforeEach
    void empty() {
        exec("truncate ca_log");
    }

    private static HikariDataSource pool(String url, String user) {
        HikariDataSource p = new HikariDataSource();
        p.setJdbcUrl(url);
        p.setUsername(user);
        p.setAutoCommit(false);
        p.setMaximumPoolSize(3);
        return p;
    }

    private static Transactions transactions(HikariDataSource on) {
        return new Transactions(on, on::evictConnection, RetryPolicy.of(3, Duration.ofMillis(1), Duration.ofMillis(5)),
                Isolation.DEFAULT, new TxCounters());
    }

    private static void insert(Tx tx, String table, int id, String note) throws SQLException {
        try (Statement st = tx.connection().createStatement()) {
            st.executeUpdate("insert into " + table + " values (" + id + ", '" + note + "')");
        }
    }

    /** An administrator's session on a server: runs a statement, counts. */
    private interface Admin {
        void exec(String sql);

        long count(String sql) throws SQLException;
    }

    private static final Admin SHARED = new Admin() {
        @Override
        public void exec(String sql) {
            SharedPostgres.exec(sql);
        }

        @Override
        public long count(String sql) {
            return queryLong(sql);
        }
    };

    /** Ends the transaction's backend with {@code pg_terminate_backend} once it waits in {@code waitEvent}. */
    private static void terminateWhenWaiting(Tx tx, String waitEvent, Admin admin) throws SQLException {
        int pid;
        try (Statement st = tx.connection().createStatement(); ResultSet rs = st.executeQuery("select pg_backend_pid()")) {
            rs.next();
            pid = rs.getInt(1);
        }
        THREADS.execute(() -> {
            // bounded: the COMMIT waits 2 s in the trigger (or for ever for the standby)
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
                try {
                    return admin.count("select count(*) from pg_stat_activity where pid = " + pid
                            + " and wait_event = '" + waitEvent + "'") == 1;
                } catch (SQLException e) {
                    return false;
                }
            });
            admin.exec("select pg_terminate_backend(" + pid + ")");
        });
    }

    /**
     * FATAL 57P01 without CommandComplete before it: the session was ended during COMMIT before the
     * commit record (here in a deferred trigger), so it was not applied and runs again, once.
     */
    @Test
    void aCommitEndedBeforeItsCommitRecordIsRunAgainOnce() {
        Transactions t = transactions(pool);
        AtomicInteger runs = new AtomicInteger();
        t.inTransaction(tx -> {
            int run = runs.incrementAndGet();
            insert(tx, "ca_log", run, run == 1 ? "slow" : "fast");
            if (run == 1) {
                terminateWhenWaiting(tx, "PgSleep", SHARED); // in COMMIT, before its commit record
            }
            return null;
        });
        assertThat(runs).hasValue(2);
        assertThat(queryLong("select count(*) from ca_log")).isEqualTo(1);
        assertThat(queryLong("select id from ca_log")).isEqualTo(2);
        assertThat(t.stats().snapshot().commitUnknown()).isZero();
    }

    /** Sits idle in the transaction until the server has ended the session (FATAL 25P03 at its COMMIT). */
    private static void idleUntilEnded(Tx tx) throws SQLException {
        int pid;
        try (Statement st = tx.connection().createStatement(); ResultSet rs = st.executeQuery("select pg_backend_pid()")) {
            rs.next();
            pid = rs.getInt(1);
            st.execute("set local idle_in_transaction_session_timeout = '100ms'");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> queryLong(
                "select count(*) from pg_stat_activity where pid = " + pid) == 0);
    }

    @Test
    void aTransactionEndedByTheIdleTimeoutBeforeItsCommitArrivedIsRunAgainOnce() {
        Transactions t = transactions(pool);
        AtomicInteger runs = new AtomicInteger();
        t.inTransaction(tx -> {
            int run = runs.incrementAndGet();
            insert(tx, "ca_log", run, "fast");
            if (run == 1) {
                idleUntilEnded(tx);
            }
            return null;
        });
        assertThat(runs).hasValue(2);
        assertThat(queryLong("select id from ca_log")).isEqualTo(2);
        assertThat(t.stats().snapshot().commitUnknown()).isZero();
    }

    @Test
    void behindAPoolerTheSameAnswerIsAnUnknownOutcome() {
        Transactions t = transactions(pool);
        t.direct(false);
        AtomicInteger runs = new AtomicInteger();
        CommitOutcomeUnknownException e = catchThrowableOfType(CommitOutcomeUnknownException.class,
                () -> t.inTransaction(tx -> {
                    runs.incrementAndGet();
                    insert(tx, "ca_log", 1, "slow");
                    terminateWhenWaiting(tx, "PgSleep", SHARED);
                    return null;
                }));
        assertThat(e).isNotNull();
        assertThat(runs).hasValue(1);
        assertThat(t.stats().snapshot().commitUnknown()).isEqualTo(1);
    }

    /**
     * PostgreSQL commits locally, then waits for the synchronous standby; a session terminated then
     * gets a WARNING ("already committed locally") and a closed connection, no FATAL: Warden must not
     * read that as "not applied". The row is there, and the caller hears that the outcome is unknown.
     */
    @Test
    void aSessionEndedWhileItsCommitWaitsForASynchronousStandbyIsUnknownAndWasApplied() throws Exception {
        try (ThrowawayDatabase db = ThrowawayDatabase.start("commit-answer", Map.of("synchronous_commit", "on"));
             HikariDataSource p = pool(db.jdbcUrl(), db.user())) {
            Admin admin = new Admin() {
                @Override
                public void exec(String sql) {
                    run(db, sql);
                }

                @Override
                public long count(String sql) throws SQLException {
                    return CommitAnswerTest.count(db, sql);
                }
            };
            admin.exec("create table ca_sync (id int not null, note text not null)");
            admin.exec("alter system set synchronous_standby_names = 'nobody'");
            admin.exec("select pg_reload_conf()");
            await().atMost(Duration.ofSeconds(30)).until(() -> "nobody".equals(show(db, "synchronous_standby_names")));
            Transactions t = transactions(p);
            AtomicInteger runs = new AtomicInteger();
            CommitOutcomeUnknownException e = catchThrowableOfType(CommitOutcomeUnknownException.class,
                    () -> t.inTransaction(tx -> {
                        runs.incrementAndGet();
                        insert(tx, "ca_sync", 1, "fast");
                        terminateWhenWaiting(tx, "SyncRep", admin);
                        return null;
                    }));
            assertThat(e).isNotNull();
            assertThat(runs).hasValue(1);
            assertThat(count(db, "select count(*) from ca_sync")).isEqualTo(1); // committed locally: a second run would have doubled it
        }
    }

    private static void run(ThrowawayDatabase db, String sql) {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
             Statement st = c.createStatement()) {
            st.execute("set synchronous_commit = local"); // the administrator's own commits wait for no standby
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    private static String show(ThrowawayDatabase db, String setting) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("show " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long count(ThrowawayDatabase db, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
