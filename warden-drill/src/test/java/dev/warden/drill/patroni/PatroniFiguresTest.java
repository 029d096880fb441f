package dev.warden.drill.patroni;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.drill.JsonOutput;
import dev.warden.drill.Latency;
import dev.warden.drill.SideBySide;
import dev.warden.drill.StateTimeline;
import dev.warden.drill.Verdict;
import dev.warden.drill.WriteClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The figures of {@code warden drill patroni} by the names docs/failover.md and docs/health.md use,
 * and its targets (the drill itself runs a real cluster: {@code ./warden drill patroni --fast --json}).
 */
class PatroniFiguresTest {

    private static final WriteClient.Totals TOTALS = new WriteClient.Totals(10, 9, Map.of(), 0, 0, new Latency(1.0, 2.0, 3.0));

    @Test
    void theFiguresKeepTheirNames() {
        PatroniFigures.Phase phase = PatroniFigures.Phase.of("switchover", 4000,
                new StateTimeline.Phase(100L, 3900L, 12_345_678L));
        PatroniFigures f = new PatroniFigures(new PatroniFigures.Cluster(3, 10, 2, 10, true),
                new PatroniFigures.Init(3, 3, 1, 1, List.of()), new SideBySide<>(new PatroniFigures.Client(TOTALS, 0, 2L),
                new PatroniFigures.Client(TOTALS, 1, null)), List.of(phase), 60, Verdict.of(List.of()));
        assertThat(JsonOutput.fields(f).keySet()).containsExactly("patroni", "init", "warden", "plain", "phases", "run_s",
                "failed_targets", "pass");
        assertThat(JsonOutput.fields(f.patroni())).containsOnlyKeys("members", "ttl_s", "loop_wait_s",
                "retry_timeout_s", "synchronous_mode");
        assertThat(JsonOutput.fields(f.clients().warden())).containsEntry("commit_outcomes_resolved", 2L).containsEntry("lost_writes", 0L)
                .containsKeys("unknown_outcomes", "hung_over_5s", "latency_ms_p99");
        assertThat(JsonOutput.fields(f.clients().plain())).doesNotContainKey("commit_outcomes_resolved").containsEntry("lost_writes", 1L);
        // In whole ms, as it has always been in this drill.
        assertThat(JsonOutput.toJson(phase)).isEqualTo("{\"phase\":\"switchover\",\"new_leader_seen_after_ms\":4000,"
                + "\"degraded_after_ms\":100,\"ready_after_ms\":3900,\"first_commit_after_ready_ms\":12}");
        assertThat(JsonOutput.fields(PatroniFigures.Phase.of("crash_failover", 9000,
                new StateTimeline.Phase(null, null, null)))).containsEntry("degraded_after_ms", null)
                .containsEntry("first_commit_after_ready_ms", null);
    }

    @Test
    void aLostWriteAnUnknownOutcomeOrASlowFirstCommitFailsTheDrill() {
        PatroniFigures.Phase slow = PatroniFigures.Phase.of("crash_failover", 9000,
                new StateTimeline.Phase(100L, 9500L, 250_000_000L));
        WriteClient.Totals unknown = new WriteClient.Totals(10, 8, Map.of(), 1, 0, new Latency(1.0, 2.0, 3.0));
        assertThat(PatroniFigures.failedTargets(new PatroniFigures.Client(unknown, 1, 0L), List.of(slow)))
                .containsExactly("warden lost_writes == 0", "warden unknown_outcomes == 0 (verifyCommit)",
                        "crash_failover: first_commit_after_ready_ms <= 100");
        PatroniFigures.Phase quick = PatroniFigures.Phase.of("crash_failover", 9000,
                new StateTimeline.Phase(100L, 9500L, 40_000_000L));
        PatroniFigures.Phase noCommitYet = PatroniFigures.Phase.of("switchover", 4000,
                new StateTimeline.Phase(100L, 3900L, null));
        assertThat(PatroniFigures.failedTargets(new PatroniFigures.Client(TOTALS, 0, 0L), List.of(quick))).isEmpty();
        assertThat(PatroniFigures.failedTargets(new PatroniFigures.Client(TOTALS, 0, 0L), List.of(noCommitYet)))
                .containsExactly("switchover: first_commit_after_ready_ms <= 100");
    }
}
