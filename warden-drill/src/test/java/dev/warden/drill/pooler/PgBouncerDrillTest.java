package dev.warden.drill.pooler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.warden.drill.JsonOutput;
import dev.warden.drill.Latency;
import dev.warden.drill.SideBySide;
import dev.warden.drill.Verdict;
import dev.warden.drill.WriteClient;
import dev.warden.testing.PgBouncer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * {@code warden drill pgbouncer --mode transaction}, short: a real PgBouncer 1.18 in transaction mode,
 * the URL as a user writes it, init workers, then PAUSE 5 s, KILL + RESUME and RECONNECT under load.
 * The drill's own targets must hold; the plain HikariCP client beside it is measured, not judged.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PgBouncerDrillTest {

    @Test
    void transactionModeKeepsEveryTargetThroughPauseKillAndReconnect() throws Exception {
        assumeTrue(PgBouncer.requireUnlessSkippable(), PgBouncer.BINARY + " is not installed: skipped outside CI");
        PgBouncerDrill d = new PgBouncerDrill();
        new CommandLine(d).parseArgs("--mode", "transaction", "--seconds", "2", "--threads", "2");
        PgBouncerFigures f = d.execute();
        assertThat(f.verdict().failedTargets()).as("failed targets").isEmpty();
        assertThat(f.verdict().pass()).isTrue();
        assertThat(f.init().initialisationsCommitted()).isEqualTo(1L);
        assertThat(f.init().workersReady()).isEqualTo(3);
        assertThat(f.clients().warden().totals().acknowledged()).isPositive();
        assertThat(f.clients().warden().lostWrites()).isZero();
        assertThat(f.clients().warden().hungOver5sBeyondPoolerHold()).isZero();
        assertThat(f.phases()).extracting(PgBouncerFigures.Phase::phase).containsExactly("steady", "pause", "kill", "reconnect");
        assertThat(f.phases().get(1).fault()).as("PAUSE completes in transaction mode")
                .isInstanceOfSatisfying(PoolerFault.Pause.class, p -> assertThat(p.pauseCompleted()).isTrue());
        assertThat(f.phases()).allSatisfy(p -> assertThat(p.deltas().warden().acknowledged()).isPositive());
        assertThat(f.clients().plain()).isNotNull();
        assertThat(JsonOutput.fields(f)).containsKeys("pgbouncer", "warden_config", "init", "warden", "plain", "phases",
                "pgbouncer_log_problems", "run_s", "failed_targets", "pass");
    }

    @Test
    void aLostWriteOrASlowFirstCommitFailsTheDrill() {
        WriteClient.Totals totals = new WriteClient.Totals(10, 9, Map.of(), 0, 0, new Latency(1.0, 2.0, 3.0));
        PgBouncerFigures.Delta delta = new PgBouncerFigures.Delta(5, 0);
        PgBouncerFigures.Phase slow = new PgBouncerFigures.Phase("kill", new PoolerFault.Kill(3, 4), 100L, 900L, 250.0,
                "READY", new SideBySide<>(delta, delta));
        assertThat(PgBouncerFigures.failedTargets(new PgBouncerFigures.Client(totals, 1, 0), List.of(slow)))
                .containsExactly("warden lost_writes == 0", "kill: first_commit_after_ready_ms <= 100");
        PgBouncerFigures.Phase quick = new PgBouncerFigures.Phase("kill", new PoolerFault.Kill(3, 4), 100L, 900L, 12.5,
                "READY", new SideBySide<>(delta, delta));
        assertThat(PgBouncerFigures.failedTargets(new PgBouncerFigures.Client(totals, 0, 0), List.of(quick))).isEmpty();
    }

    @Test
    void aPhaseIsOneFlatJsonObjectByTheNamesTheDocsUse() {
        PgBouncerFigures.Delta delta = new PgBouncerFigures.Delta(5, 1);
        PgBouncerFigures.Phase pause = new PgBouncerFigures.Phase("pause",
                new PoolerFault.Pause(false, null, 5000, true), null, null, null, "READY", new SideBySide<>(delta, delta));
        assertThat(JsonOutput.toJson(pause)).isEqualTo("{\"phase\":\"pause\",\"pause_completed\":false,"
                + "\"pause_completed_after_ms\":null,\"resumed_after_ms\":5000,\"pending_pause_answered_after_resume\":true,"
                + "\"degraded_after_ms\":null,\"ready_after_ms\":null,\"first_commit_after_ready_ms\":null,"
                + "\"warden_state_at_end\":\"READY\",\"warden\":{\"acknowledged\":5,\"failed\":1},"
                + "\"plain\":{\"acknowledged\":5,\"failed\":1}}");
        PgBouncerFigures.Phase steady = new PgBouncerFigures.Phase("steady", null, 10L, 20L, 1.5, "READY", new SideBySide<>(delta, delta));
        assertThat(JsonOutput.fields(steady)).containsOnlyKeys("phase", "degraded_after_ms", "ready_after_ms",
                "first_commit_after_ready_ms", "warden_state_at_end", "warden", "plain");
        PgBouncerFigures.Client client = new PgBouncerFigures.Client(
                new WriteClient.Totals(10, 9, Map.of("SQLSTATE 08006", 1L), 0, 2, new Latency(1.0, 2.0, 3.0)), 0, 0);
        assertThat(JsonOutput.fields(client).keySet()).containsExactly("requests", "acknowledged", "failed_by_kind",
                "unknown_outcomes", "hung_over_5s", "latency_ms_p50", "latency_ms_p99", "latency_ms_max", "lost_writes",
                "hung_over_5s_beyond_pooler_hold");
        PgBouncerFigures f = new PgBouncerFigures(new PgBouncerFigures.Setup(
                new PgBouncerFigures.Bouncer("transaction", 4, "jdbc:postgresql://127.0.0.1:6432/db"),
                new PgBouncerFigures.WardenSettings("transaction", "advisory", "(none)", "30s", 3)),
                new PgBouncerFigures.Init(3, 3, 1, 1, 0, 40, List.of()), new SideBySide<>(client, client),
                List.of(pause), Map.of(), 9, Verdict.of(List.of("warden lost_writes == 0")));
        assertThat(JsonOutput.fields(f).keySet()).containsExactly("pgbouncer", "warden_config", "init", "warden", "plain",
                "phases", "pgbouncer_log_problems", "run_s", "failed_targets", "pass");
        assertThat(f.summary()).startsWith("{").endsWith("}\nFAIL: [warden lost_writes == 0]");
        assertThat(JsonOutput.exitCode(f)).isEqualTo(1);
    }
}
