package dev.warden.internal.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.warden.DatabaseUnavailableException;
import dev.warden.ErrorKind;
import dev.warden.State;
import dev.warden.TransactionException;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A primary demoted in place: the server stays reachable but its transactions become read-only
 * ({@code default_transaction_read_only}, as after a switchover). A read-write pool is not READY
 * then; a read-only pool is.
 */
class ReadOnlyServerTest {

    private static ThrowawayDatabase db;

    @BeforeAll
    static void startDatabase() {
        db = ThrowawayDatabase.start("warden-readonly-pg", Map.of("fsync", "off"));
        sql("create table if not exists ro_items (id serial primary key)");
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    @AfterEach
    void writable() {
        setReadOnly(false);
    }

    private static void sql(String... statements) {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
             Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void setReadOnly(boolean on) {
        sql("alter system set default_transaction_read_only = " + (on ? "on" : "off"), "select pg_reload_conf()");
    }

    private static WardenConfig.Builder config() {
        return WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).poolMaxSize(2)
                .retryMaxAttempts(2).retryInitialBackoff(Duration.ofMillis(1)).retryMaxBackoff(Duration.ofMillis(5));
    }

    private static void write(Warden warden) {
        warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.executeUpdate("insert into ro_items default values");
            }
        });
    }

    @Test
    void aReadWritePoolIsNotReadyWhileTheServerIsReadOnlyAndIsReadyAgainOnceItIsWritable() {
        // The refused write below waits out the ride-through first: 1 s here, not the default 15 s.
        try (Warden warden = Warden.create(config().rideThrough(Duration.ofSeconds(1)).build()).start()) {
            write(warden);
            setReadOnly(true);
            // A write fails with 25006, classified as a connection-level fault; the failure nudges the monitor.
            TransactionException failure = null;
            try {
                write(warden);
            } catch (TransactionException e) {
                failure = e;
            } catch (DatabaseUnavailableException alreadyDegraded) {
                // the monitor's own probe got there first
            }
            if (failure != null) {
                assertThat(failure.kind()).isEqualTo(ErrorKind.CONNECTION);
                // 25006, or 08006 when the evicted connection's nudge made the monitor find the server
                // read-only first and DEGRADED aborted the retry's connection under it.
                assertThat(failure.sqlState()).isIn("25006", "08006");
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> warden.state() == State.DEGRADED);
            assertThat(warden.lifecycle().why()).contains("read-only");
            assertThatThrownBy(() -> write(warden)).isInstanceOf(DatabaseUnavailableException.class)
                    .hasMessageContaining("not writable");

            setReadOnly(false);
            await().atMost(Duration.ofSeconds(10)).until(() -> warden.state() == State.READY);
            write(warden);
        }
    }

    @Test
    void aReadOnlyErrorEvictsTheConnectionAndTheRetryRunsOnAnother() {
        List<Integer> pids = new CopyOnWriteArrayList<>();
        try (Warden warden = Warden.create(config().poolMaxSize(1).retryMaxAttempts(3).build()).start()) {
            warden.useTransaction(tx -> {
                try (Statement st = tx.connection().createStatement()) {
                    try (var rs = st.executeQuery("select pg_backend_pid()")) {
                        rs.next();
                        pids.add(rs.getInt(1));
                    }
                    if (tx.attempt() == 1) {
                        st.execute("set transaction read only"); // this connection now answers 25006 to a write
                    }
                    st.executeUpdate("insert into ro_items default values");
                }
            });
            assertThat(pids).hasSize(2).doesNotHaveDuplicates();
            assertThat(warden.health().transactions().retries()).isEqualTo(1);
        }
    }

    @Test
    void aReadOnlyPoolStaysReadyOnAReadOnlyServer() {
        try (Warden warden = Warden.create(config().poolReadOnly(true).build()).start()) {
            setReadOnly(true);
            long probes = warden.health().monitor().probes().run();
            await().atMost(Duration.ofSeconds(10)).until(() -> warden.health().monitor().probes().run() >= probes + 2);
            assertThat(warden.state()).isEqualTo(State.READY);
            long n = warden.transaction().readOnly().call(tx -> {
                try (Statement st = tx.connection().createStatement(); var rs = st.executeQuery("select 1")) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
            assertThat(n).isEqualTo(1);
        }
    }
}
