package dev.warden.internal.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.testing.SharedPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which backends a new holder ends, on the real server: an earlier holder's of this lock in this
 * database, never a newer holder's, another lock's, another database's, or work idle in a
 * transaction (the server's and the fencing token's to deal with).
 */
class HolderConnectionsTest {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private final List<Connection> sessions = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void close() throws SQLException {
        threads.shutdownNow();
        for (Connection c : sessions) {
            c.close();
        }
        SharedPostgres.exec("select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'hc-%'"
                + " and pid <> pg_backend_pid()");
    }

    @Test
    void endsOnlyEarlierHoldersOfThisLockInThisDatabaseAndNotTheirIdleWork() throws Exception {
        int n = SEQ.incrementAndGet();
        String lock = HolderConnections.lockId("meta_" + n, List.of("app_" + n));
        String otherLock = HolderConnections.lockId("meta_" + n, List.of("other_" + n));
        String otherDb = "hc_other_" + n;
        SharedPostgres.exec("create database " + otherDb);

        int earlierWork = running(SharedPostgres.url(), HolderConnections.name("hc-svc", "work", lock, 3));
        int earlierMigrationIdle = idle(HolderConnections.name("hc-svc", "migrate", lock, 2), false);
        int earlierWorkIdleInTx = idle(HolderConnections.name("hc-svc", "work", lock, 2), true);
        int newerWork = running(SharedPostgres.url(), HolderConnections.name("hc-svc", "work", lock, 7));
        int otherLockWork = running(SharedPostgres.url(), HolderConnections.name("hc-svc", "work", otherLock, 1));
        int otherDbWork = running(SharedPostgres.url().replaceFirst("/[^/?]+(\\?|$)", "/" + otherDb + "$1"),
                HolderConnections.name("hc-svc", "work", lock, 1));

        int ended;
        try (Connection c = SharedPostgres.connect()) {
            ended = HolderConnections.endEarlier(c, lock, 5, Duration.ofSeconds(30));
        }

        assertThat(ended).isEqualTo(2);
        assertThat(alive(earlierWork)).as("an earlier holder's running work").isFalse();
        assertThat(alive(earlierMigrationIdle)).as("an earlier holder's idle Flyway connection").isFalse();
        assertThat(alive(earlierWorkIdleInTx)).as("work idle in a transaction: the idle timeout's").isTrue();
        assertThat(alive(newerWork)).as("a newer holder's work").isTrue();
        assertThat(alive(otherLockWork)).as("another application's").isTrue();
        assertThat(alive(otherDbWork)).as("the same application in another database").isTrue();
    }

    @Test
    void aNonAsciiApplicationNameKeepsTheWholeTagWithinTheServersLimit() throws Exception {
        String lock = HolderConnections.lockId("meta_x", List.of("app_x"));
        String name = HolderConnections.name("hc-サービス監視システム本番環境東京", "work", lock, Long.MAX_VALUE);
        assertThat(name.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(63);
        assertThat(name).matches("[ -~]+").endsWith("-work-" + lock + "-" + Long.MAX_VALUE);

        int earlier = running(SharedPostgres.url(), HolderConnections.name("hc-サービス監視システム本番環境東京", "work", lock, 4));
        try (Connection c = SharedPostgres.connect()) {
            assertThat(HolderConnections.endEarlier(c, lock, 9, Duration.ofSeconds(30))).isEqualTo(1);
        }
        assertThat(alive(earlier)).isFalse();
    }

    /** A session with this name running a long statement; its backend pid once it runs. */
    private int running(String url, String name) throws Exception {
        Connection c = open(url, name);
        int pid = SharedPostgres.backendPid(c);
        threads.submit(() -> {
            try (Statement st = c.createStatement()) {
                st.execute("select pg_sleep(120)");
            } catch (SQLException ended) {
                // ended by the test or by the code under test
            }
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> "active".equals(state(pid)));
        return pid;
    }

    /** A session with this name, idle or idle in a transaction. */
    private int idle(String name, boolean inTransaction) throws Exception {
        Connection c = open(SharedPostgres.url(), name);
        if (inTransaction) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("select 1");
            }
        }
        int pid = SharedPostgres.backendPid(c);
        String expected = inTransaction ? "idle in transaction" : "idle";
        await().atMost(Duration.ofSeconds(30)).until(() -> expected.equals(state(pid)));
        return pid;
    }

    private Connection open(String url, String name) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", dev.warden.testing.ThrowawayDatabase.USER);
        p.setProperty("ApplicationName", name);
        Connection c = DriverManager.getConnection(url, p);
        sessions.add(c);
        return c;
    }


    private static String state(int pid) throws SQLException {
        try (Connection c = SharedPostgres.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select state from pg_stat_activity where pid = " + pid)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static boolean alive(int pid) {
        return SharedPostgres.queryLong("select count(*) from pg_stat_activity where pid = " + pid) == 1;
    }
}
