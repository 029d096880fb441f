package dev.warden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WardenStartTest {

    /** The view cannot be cast back into the state machine: no caller moves Warden's state. */
    @Test
    void theLifecycleHandedOutIsAReadOnlyViewOfTheStateMachine() {
        try (Warden warden = Warden.create(TestConfig.sharedPostgres().build()).start()) {
            Lifecycle lifecycle = warden.lifecycle();
            assertThat(lifecycle).isNotInstanceOf(dev.warden.internal.lifecycle.StateMachine.class);
            assertThat(lifecycle.state()).isEqualTo(State.READY);
            assertThat(lifecycle.transitionCount(State.CONNECTING, State.READY)
                    + lifecycle.transitionCount(State.INITIALIZING, State.READY)).isEqualTo(1);
            assertThat(lifecycle.history()).isNotEmpty();
        }
    }

    @Test
    void embeddedDefaultKeepsItsDataBetweenRuns(@TempDir Path dir) {
        WardenConfig config = WardenConfig.builder().environment(Map.of()).embeddedDir(dir.resolve("pgdata")).build();
        assertThat(config.embedded()).isTrue();
        try (Warden first = Warden.create(config).start()) {
            assertThat(first.health().database().embedded()).isTrue();
            first.useTransaction(tx -> {
                try (Statement st = tx.connection().createStatement()) {
                    st.execute("create table kept (v text)");
                    st.execute("insert into kept values ('survives a restart')");
                }
            });
        }
        assertThat(Files.isDirectory(dir.resolve("pgdata"))).isTrue();
        try (Warden second = Warden.create(config).start()) {
            String v = second.transaction().readOnly().call(tx -> {
                try (Statement st = tx.connection().createStatement(); ResultSet rs = st.executeQuery("select v from kept")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            assertThat(v).isEqualTo("survives a restart");
        }
    }

    @Test
    void unreachableDatabaseFailsStartWithinTheDeadlineAndSaysWhere() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Warden warden = Warden.create(WardenConfig.builder().environment(Map.of())
                .dbUrl("jdbc:postgresql://127.0.0.1:" + closedPort + "/app?password=url-Pa55;s3cret-Pa55")
                .poolAcquireTimeout(Duration.ofMillis(250))
                .connectTimeout(Duration.ofSeconds(1))
                .startupTimeout(Duration.ofSeconds(2))
                .build());
        long t0 = System.nanoTime();
        WardenException e = catchThrowableOfType(WardenException.class, warden::start);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(e.getMessage()).contains("127.0.0.1:" + closedPort).contains("WARDEN_STARTUP_TIMEOUT")
                .doesNotContain("url-Pa55").doesNotContain("s3cret-Pa55");
        assertThat(e.kind()).isEqualTo(ErrorKind.CONNECTION);
        assertThat(tookMs).isLessThan(15_000);
        assertThat(warden.state()).isEqualTo(State.FAILED);
        assertThat(warden.health().toString()).doesNotContain("Pa55");
        assertThatThrownBy(() -> warden.inTransaction(tx -> 1)).isInstanceOf(NotReadyException.class);
        warden.close();
        assertThat(warden.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void workBeforeStartAndAfterCloseIsRefusedClearly() {
        Warden warden = Warden.create(TestConfig.sharedPostgres().build());
        NotReadyException before = catchThrowableOfType(NotReadyException.class, () -> warden.inTransaction(tx -> 1));
        assertThat(before.state()).isEqualTo(State.STARTING);
        assertThat(before.getMessage()).contains("start()");
        warden.start();
        assertThat(warden.start()).isSameAs(warden); // idempotent
        int one = warden.inTransaction(tx -> 1);
        assertThat(one).isEqualTo(1);
        warden.close();
        warden.close(); // idempotent
        assertThat(catchThrowableOfType(NotReadyException.class, () -> warden.inTransaction(tx -> 1)).state())
                .isEqualTo(State.STOPPED);
        assertThatThrownBy(warden::start).isInstanceOf(NotReadyException.class);
    }

    @Test
    void healthReportShowsPoolAndCountersWithoutSecrets() {
        try (Warden warden = Warden.create(TestConfig.sharedPostgres().dbPassword("s3cret-Pa55").build()).start()) {
            warden.inTransaction(tx -> 1);
            var report = warden.health();
            assertThat(report.state()).isEqualTo(State.READY);
            assertThat(report.pool().max()).isEqualTo(8);
            assertThat(report.pool().total()).isPositive();
            assertThat(report.transactions().committed()).isEqualTo(1);
            assertThat(report.database().server()).startsWith("PostgreSQL");
            assertThat(report.toString()).doesNotContain("s3cret");
        }
    }
}
