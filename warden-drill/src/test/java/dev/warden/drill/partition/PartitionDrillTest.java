package dev.warden.drill.partition;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The partition drill, lean: one short blackhole and one longer than a 1 s socket timeout, on a real
 * embedded PostgreSQL behind the fault proxy. The timing targets are the drill's own (run on a quiet
 * machine); here the bounds are generous and the correctness figures exact.
 */
class PartitionDrillTest {

    @Test
    void blackholesAreDetectedReleasedAndHealedWithoutLosingAnAcknowledgedWrite() throws Exception {
        PartitionDrill d = new PartitionDrill();
        new CommandLine(d).parseArgs("--partitions", "1", "--seconds", "2", "--long-seconds", "2",
                "--socket-timeout", "1", "--window-seconds", "1", "--writers", "4", "--holders", "1",
                "--pool", "6", "--arrival-ms", "20");
        PartitionFigures f = d.execute();

        assertThat(f.timings().partitions()).isEqualTo(2);
        assertThat(f.writes().acknowledgedWrites()).as("figures %s", f).isPositive();
        assertThat(f.writes().lostWrites()).as("figures %s", f).isZero();
        assertThat(f.writes().hungThreadsAtEnd()).as("figures %s", f).isZero();
        assertThat(f.writes().refusedAfterRunning()).as("figures %s", f).isZero();
        assertThat(f.failedTargets()).as("figures %s", f).doesNotContain("every blackhole made Warden DEGRADED");
        assertThat(f.each()).hasSize(2);
        // Generous: a silent network is found in about a probe interval plus a probe timeout (1.4 s),
        // and no thread waits for anything longer than that once it is.
        assertThat(f.timings().degradedMsMax()).as("figures %s", f).isLessThan(3_000L);
        assertThat(f.timings().inflightReleasedMsMax()).as("figures %s", f).isLessThan(5_000L);
        assertThat(f.timings().readyAfterHealMsMax()).as("figures %s", f).isLessThan(5_000L);
    }
}
