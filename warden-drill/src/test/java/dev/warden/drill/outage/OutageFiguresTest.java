package dev.warden.drill.outage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.drill.JsonOutput;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The outage drill's figures under the names its JSON has always had (README quotes them). */
class OutageFiguresTest {

    private static OutageFigures figures(long lost) {
        return new OutageFigures(new OutageFigures.Run(5, 30, 8, 1500),
                new OutageFigures.Writes(26302, lost, 2, 0),
                OutageFigures.Failures.of(3152, 3152, List.of(100_000L, 62_500_000L, 118_200_000L)),
                OutageFigures.Timings.of(List.of(98L, 207L), List.of(10L, 28L)),
                new OutageFigures.Monitor(5, 5, 0, 1000));
    }

    @Test
    void jsonHasTheDocumentedNamesInOrderAndTheExitCodeFollowsLostWrites() {
        OutageFigures f = figures(0);
        assertThat(JsonOutput.fields(f).keySet()).containsExactly("restarts", "seconds", "writers", "down_ms",
                "acknowledged_writes", "lost_writes", "commit_unknown", "commit_unknown_applied", "failed_requests",
                "failed_unavailable", "fail_fast_ms_p50", "fail_fast_ms_p99", "fail_fast_ms_max", "detect_ms_p50",
                "detect_ms_max", "recover_ms_p50", "recover_ms_max", "outages", "recoveries", "failed_recoveries",
                "monitor_interval_ms");
        assertThat(JsonOutput.toJson(f)).startsWith("{\"restarts\":5,\"seconds\":30,\"writers\":8,\"down_ms\":1500,")
                .contains("\"fail_fast_ms_max\":118.2", "\"detect_ms_max\":207").doesNotContain("\n");
        assertThat(JsonOutput.exitCode(f)).isZero();
        assertThat(JsonOutput.exitCode(figures(1))).isEqualTo(1);
        assertThat(figures(1).summary()).contains("FAILED: 1 acknowledged write(s) are missing.");
    }
}
