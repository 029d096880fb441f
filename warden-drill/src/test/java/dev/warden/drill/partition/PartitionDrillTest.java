package dev.warden.drill.partition;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The partition drill, lean: one short blackhole and one longer than a 1 s socket timeout, on a real
 * embedded PostgreSQL behind the fault proxy. The timing targets are the drill's own (run on a quiet
 * machine); here the bounds are generous and the correctness figures exact.
 */
class PartitionDrillTest {

    @Test
    @SuppressWarnings("unchecked")
    void blackholesAreDetectedReleasedAndHealedWithoutLosingAnAcknowledgedWrite() throws Exception {
        PartitionDrill d = new PartitionDrill();
        new CommandLine(d).parseArgs("--partitions", "1", "--seconds", "2", "--long-seconds", "2",
                "--socket-timeout", "1", "--window-seconds", "1", "--writers", "4", "--holders", "1",
                "--pool", "6", "--arrival-ms", "20");
        Map<String, Object> f = d.execute();

        assertThat(f).containsKeys("partitions", "degraded_ms_max", "fail_fast_ms_p99",
                "started_before_degraded_ms_max", "inflight_released_ms_max", "ready_after_heal_ms_max",
                "throughput_after_heal_ratio", "acknowledged_writes", "lost_writes", "commit_unknown",
                "commit_unknown_applied", "hung_threads_at_end", "ok");
        assertThat(f.get("partitions")).isEqualTo(2);
        assertThat((long) f.get("acknowledged_writes")).as("figures %s", f).isPositive();
        assertThat(f).as("figures %s", f).containsEntry("lost_writes", 0L).containsEntry("hung_threads_at_end", 0L)
                .containsEntry("refused_after_running", 0L);
        assertThat((List<String>) f.get("failed_targets")).as("figures %s", f)
                .doesNotContain("every blackhole made Warden DEGRADED");
        // Generous: a silent network is found in about a probe interval plus a probe timeout (1.4 s),
        // and no thread waits for anything longer than that once it is.
        assertThat((long) f.get("degraded_ms_max")).as("figures %s", f).isLessThan(3_000L);
        assertThat((long) f.get("inflight_released_ms_max")).as("figures %s", f).isLessThan(5_000L);
        assertThat((long) f.get("ready_after_heal_ms_max")).as("figures %s", f).isLessThan(5_000L);
    }
}
