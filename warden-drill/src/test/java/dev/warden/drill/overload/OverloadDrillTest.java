package dev.warden.drill.overload;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The overload drill, shortened, on a real embedded PostgreSQL: the judged figures hold on a loaded machine too. */
class OverloadDrillTest {

    @Test
    void overloadIsNotAnOutageAndTheFleetRecoversStaggered() throws Exception {
        OverloadDrill d = new OverloadDrill();
        new CommandLine(d).parseArgs("--pool", "4", "--rounds", "1", "--round-seconds", "2", "--phase-seconds", "4");
        Map<String, Object> f = d.execute();
        assertThat(f).containsKeys("false_degraded", "throughput_ratio", "pool_timeout_metric_error", "probes_per_s_max",
                "reconnect_burst_max", "acquire_fifo_violations", "ok");
        // Mechanisms, not speed: these do not depend on how loaded the machine is.
        assertThat(f.get("false_degraded")).isEqualTo(0);
        assertThat(f.get("pool_timeout_metric_error")).isEqualTo(0L);
        assertThat(f.get("acquire_fifo_violations")).isEqualTo(0);
        assertThat((long) f.get("slow_probes")).as("probes that answered late").isPositive();
        assertThat((long) f.get("exhaustion_refusing_probes")).as("probes that met 53300").isPositive();
        assertThat(f.get("slow_connections_dropped")).isEqualTo(0);
        // Speed figures with generous bounds; the drill's own targets are for a full run.
        assertThat((double) f.get("throughput_ratio")).isGreaterThan(0.5);
        assertThat((long) f.get("probes_per_s_max")).isLessThanOrEqualTo(4);
        assertThat((double) f.get("reconnect_burst_max")).isLessThanOrEqualTo(1.0);
    }
}
