package dev.warden.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy against a real PostgreSQL: each fault as pgjdbc sees it. */
class FaultProxyTest {

    private FaultProxy proxy;

    @BeforeEach
    void start() {
        proxy = FaultProxy.start(SharedPostgres.get().port());
    }

    @AfterEach
    void stop() {
        proxy.close();
    }

    private Connection connect(int socketTimeoutSeconds) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        p.setProperty("connectTimeout", "5");
        p.setProperty("loginTimeout", "5");
        return DriverManager.getConnection(proxy.jdbcUrl("postgres"), p);
    }

    private static int serverSidePort(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select client_port from pg_stat_activity where pid = pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int one(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void passesTrafficAndNamesEachConnectionByTheServersClientPort() throws Exception {
        try (Connection c = connect(10)) {
            assertThat(one(c)).isEqualTo(1);
            int port = serverSidePort(c);
            assertThat(proxy.linkForServerPort(port)).isPresent();
            assertThat(proxy.links()).hasSize(1);
            assertThat(proxy.accepted()).isEqualTo(1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.links().isEmpty());
    }

    @Test
    void blackholeIsSilentUntilHealedThenDeliversWhatWasHeld() throws Exception {
        try (Connection c = connect(60)) {
            assertThat(one(c)).isEqualTo(1);
            proxy.set(Fault.BLACKHOLE);
            CompletableFuture<Integer> during = CompletableFuture.supplyAsync(() -> {
                try {
                    return one(c);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            // no answer, no error: the query waits on a silent network (awaited, not slept)
            assertThatThrownBy(() -> during.get(1500, TimeUnit.MILLISECONDS))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class);
            assertThat(c.isClosed()).isFalse();
            proxy.set(Fault.PASS);
            assertThat(during.get(20, TimeUnit.SECONDS)).isEqualTo(1);
        }
    }

    @Test
    void blackholedConnectionTimesOutOnTheClientsSocketTimeoutNotWithAnError() throws Exception {
        try (Connection c = connect(1)) {
            one(c);
            proxy.set(Fault.BLACKHOLE);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> one(c)).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).startsWith("08"));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(900);
        }
    }

    @Test
    void blackholeOfOneConnectionLeavesTheOthersWorking() throws Exception {
        try (Connection cut = connect(60); Connection other = connect(10)) {
            proxy.linkForServerPort(serverSidePort(cut)).orElseThrow().set(Fault.BLACKHOLE);
            CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    return one(cut);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(one(other)).isEqualTo(1);
            assertThat(blocked).isNotDone();
            proxy.set(Fault.PASS);
            assertThat(blocked.get(20, TimeUnit.SECONDS)).isEqualTo(1);
        }
    }

    @Test
    void resetBreaksOpenConnectionsAtOnceAndRefusesNewOnes() throws Exception {
        try (Connection c = connect(60)) {
            one(c);
            proxy.set(Fault.RESET);
            assertThatThrownBy(() -> one(c)).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).startsWith("08"));
            assertThatThrownBy(() -> connect(5)).isInstanceOf(SQLException.class);
            proxy.set(Fault.PASS);
            try (Connection again = connect(10)) {
                assertThat(one(again)).isEqualTo(1);
            }
        }
    }

    @Test
    void delayHoldsEachAnswer() throws Exception {
        try (Connection c = connect(30)) {
            one(c);
            proxy.delay(Duration.ofMillis(300));
            proxy.set(Fault.DELAY);
            long t0 = System.nanoTime();
            assertThat(one(c)).isEqualTo(1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(550);
        }
    }
}
