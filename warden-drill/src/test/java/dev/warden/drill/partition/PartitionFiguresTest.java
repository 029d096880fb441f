package dev.warden.drill.partition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.drill.JsonOutput;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The partition drill's figures under the names its JSON has always had (README and docs/health.md quote them). */
class PartitionFiguresTest {

    private static PartitionFigures figures(long lost, List<String> failed) {
        PartitionFigures.Each each = new PartitionFigures.Each(
                new PartitionFigures.Timeline(4.0, 504L, 6, 550, 554, 213, 300),
                new PartitionFigures.Throughput(900, 850, List.of(900L, 901L), List.of(800L, 900L)));
        return new PartitionFigures(new PartitionFigures.Timings(4, 504, 0.2, 550, 554, 213, 0.926),
                new PartitionFigures.Writes(45916, lost, 8, 8, 0, 0), 6, List.of(each), failed, failed.isEmpty(),
                new PartitionFigures.Run(12, 3, false, "kernel", "Partition drill: heading"));
    }

    @Test
    void jsonHasTheDocumentedNamesInOrderAndTheExitCodeFollowsTheTargets() {
        PartitionFigures f = figures(0, List.of());
        assertThat(JsonOutput.fields(f).keySet()).containsExactly("partitions", "degraded_ms_max", "fail_fast_ms_p99",
                "started_before_degraded_ms_max", "inflight_released_ms_max", "ready_after_heal_ms_max",
                "throughput_after_heal_ratio", "acknowledged_writes", "lost_writes", "commit_unknown",
                "commit_unknown_applied", "hung_threads_at_end", "refused_after_running", "pool_active_at_degraded_min",
                "each", "failed_targets", "ok", "pool", "socket_timeout_s", "dead_host", "blackhole");
        assertThat(JsonOutput.toJson(f)).startsWith("{\"partitions\":4,\"degraded_ms_max\":504,\"fail_fast_ms_p99\":0.2,")
                .contains("\"each\":[{\"seconds\":4.0,\"degraded_ms\":504,\"pool_active_at_degraded\":6,"
                        + "\"started_before_degraded_ms_max\":550,\"inflight_released_ms\":554,\"ready_after_heal_ms\":213,"
                        + "\"pool_full_after_ready_ms\":300,\"writes_per_s_before\":900,\"writes_per_s_after\":850,"
                        + "\"writes_by_second_before\":[900,901],\"writes_by_second_after\":[800,900]}]")
                .contains("\"ok\":true,\"pool\":12,\"socket_timeout_s\":3,\"dead_host\":false,\"blackhole\":\"kernel\"}")
                .doesNotContain("heading").doesNotContain("\n");
        assertThat(JsonOutput.exitCode(f)).isZero();
        PartitionFigures failed = figures(1, List.of("lost_writes == 0"));
        assertThat(JsonOutput.exitCode(failed)).isEqualTo(1);
        assertThat(failed.summary()).startsWith("Partition drill: heading").contains("  lost_writes: 1")
                .endsWith("  FAILED: [lost_writes == 0]");
    }
}
