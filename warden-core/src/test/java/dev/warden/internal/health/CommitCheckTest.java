package dev.warden.internal.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.ProbeOutcome;
import dev.warden.State;
import dev.warden.internal.lifecycle.StateMachine;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Every COMMIT blocked on a synchronous standby that is gone ({@code synchronous_standby_names} names
 * one that never connects) while {@code select 1} still answers: the monitor's commit check reports
 * it (commitBlocked) without an outage, and reports the end of it. On its own server: the setting
 * would block every other test's commits.
 */
class CommitCheckTest {

    @Test
    void aCommitBlockedOnSynchronousReplicationIsReportedNotAnOutage() throws Exception {
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-commit-check")) {
            // The embedded server runs with synchronous_commit off; a database setting outranks that.
            exec(db, "alter database postgres set synchronous_commit = on");
            StateMachine lifecycle = new StateMachine();
            lifecycle.moveTo(State.CONNECTING, "test");
            lifecycle.moveTo(State.READY, "test");
            Properties p = new Properties();
            p.setProperty("user", db.user());
            p.setProperty("connectTimeout", "5");
            HealthMonitor.Settings settings = new HealthMonitor.Settings(Duration.ofMillis(200), Duration.ofMillis(400), 2,
                    Duration.ofMillis(100), Duration.ofSeconds(8), Duration.ofMillis(300));
            try (JdbcProbe probe = new JdbcProbe(db.jdbcUrl(), p, true);
                 HealthMonitor monitor = new HealthMonitor(lifecycle, settings)) {
                monitor.start(probe, new HealthMonitor.PoolActions() {
                    @Override
                    public void degraded(boolean networkGone) {
                    }

                    @Override
                    public void recover(Duration timeout) {
                    }
                });
                await().atMost(Duration.ofSeconds(20)).until(() -> Boolean.FALSE.equals(monitor.snapshot().commitBlocked()));
                setSynchronousStandby(db, "nobody");
                await().atMost(Duration.ofSeconds(20)).until(() -> Boolean.TRUE.equals(monitor.snapshot().commitBlocked()));
                assertThat(lifecycle.state()).as("blocked commits are reported, not an outage").isEqualTo(State.READY);
                assertThat(monitor.snapshot().lastProbe().outcome()).isIn(ProbeOutcome.ANSWERED, ProbeOutcome.SLOW);
                assertThat(HealthMonitor.report(monitor.snapshot()).commitCheck().blocked()).isTrue();
                setSynchronousStandby(db, "");
                await().atMost(Duration.ofSeconds(20)).until(() -> Boolean.FALSE.equals(monitor.snapshot().commitBlocked()));
            }
        }
    }

    private static void setSynchronousStandby(ThrowawayDatabase db, String names) throws Exception {
        exec(db, "alter system set synchronous_standby_names = '" + names + "'", "select pg_reload_conf()");
    }

    private static void exec(ThrowawayDatabase db, String... sql) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
             Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
