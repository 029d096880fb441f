package dev.warden.drill.matrix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.warden.drill.JsonOutput;
import dev.warden.drill.Latency;
import dev.warden.testing.PgBouncer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The matrix drill's PgBouncer row, lean (4 writers, pool 6): a real PgBouncer in transaction mode
 * is paused for 5 s under load; Warden ({@code WARDEN_POOLER=transaction}) rides it through as the
 * plain pool does: nothing failed, nothing aborted, no DEGRADED, no request past the bound.
 */
class MatrixDrillTest {

    @Test
    void aPgBouncerPauseIsRiddenThroughAsThePlainPoolDoes() throws Exception {
        assumeThat(PgBouncer.requireUnlessSkippable()).as("pgbouncer installed").isTrue();
        MatrixDrill d = new MatrixDrill();
        new CommandLine(d).parseArgs("--faults", "PGBOUNCER_PAUSE", "--writers", "4", "--pool", "6");
        MatrixFigures out = d.execute();

        assertThat(out.faults()).as("figures %s", out).hasSize(1);
        MatrixFigures.Row row = out.faults().get(0);
        MatrixFigures.Client warden = row.warden();
        MatrixFigures.Client plain = row.hikari();
        assertThat(warden.requests()).as("figures %s", row).isPositive();
        assertThat(plain.outcomes().failed()).as("the plain pool's figures %s", row).isZero();
        assertThat(warden.outcomes()).as("figures %s", row).extracting(MatrixFigures.Outcomes::failed,
                MatrixFigures.Outcomes::unknown, MatrixFigures.Outcomes::lost).containsOnly(0L);
        assertThat(warden.stillRunning()).as("figures %s", row).isZero();
        // The pause is seen as a live host whose server is silent (STALLED), never as an outage.
        assertThat(row.timeline().degradedMs()).as("figures %s", row).isEqualTo(-1L);
        assertThat(warden.latency().max()).as("figures %s", row).isLessThanOrEqualTo(15_000.0);
        assertThat(row.targets().allHold()).as("targets %s", row.targets().text()).isTrue();
        assertThat(out.notRun()).allMatch(n -> n.endsWith("not in --faults"));
    }

    @Test
    void aBlackholeRowIsPrintedByTheNamesTheDocsUse() {
        MatrixFigures.Client warden = new MatrixFigures.Client(100, new MatrixFigures.Outcomes(2, Map.of("unavailable", 2L), 0, 0),
                new Latency(1.5, 20.0, 1400.0), 0, List.of("1400.0 ms ok"), 0, Map.of("unavailable", "refused"));
        MatrixFigures.Client plain = new MatrixFigures.Client(90, new MatrixFigures.Outcomes(5, Map.of("pool_timeout", 5L), 1, 0),
                new Latency(1.5, 30000.0, 30000.0), 5, List.of(), 0, Map.of());
        MatrixFigures.Targets targets = MatrixFigures.Targets.of(warden, plain, 2500, true, 1200, 300L);
        MatrixFigures.Row row = new MatrixFigures.Row("blackhole 10 s", new MatrixFigures.Timeline(10_000, 1200, 300L),
                1200L, warden, plain, targets);
        assertThat(JsonOutput.fields(row).keySet()).containsExactly("fault", "fault_ms", "degraded_ms",
                "ready_after_heal_ms", "in_flight_released_ms", "warden", "hikari", "targets");
        assertThat(JsonOutput.fields(warden).keySet()).containsExactly("requests", "failed", "failed_by_kind", "unknown",
                "lost", "p50_ms", "p99_ms", "max_ms", "hung_over_5s", "slowest", "still_running", "failure_examples");
        // The plain pool failed requests: the first target does not apply.
        assertThat(JsonOutput.toJson(targets)).isEqualTo("{\"loses_nothing\":true,\"no_more_unknown_than_plain\":true,"
                + "\"waits_at_most_2500_ms\":true,\"degraded_within_1500_ms\":true,\"released_within_2500_ms\":true,"
                + "\"ready_within_1000_ms_of_heal\":true}");
        assertThat(targets.allHold()).isTrue();
        MatrixFigures.Client calm = new MatrixFigures.Client(90, new MatrixFigures.Outcomes(0, Map.of(), 0, 0),
                new Latency(1.5, 3.0, 5.0), 0, List.of(), 0, Map.of());
        MatrixFigures.Targets stall = MatrixFigures.Targets.of(warden, calm, 2500, false, -1, null);
        assertThat(JsonOutput.fields(stall)).containsExactly(entry("fails_nothing_the_plain_pool_served", false),
                entry("loses_nothing", true), entry("no_more_unknown_than_plain", true),
                entry("waits_at_most_2500_ms", true));
        assertThat(stall.allHold()).isFalse();
        assertThat(JsonOutput.fields(new MatrixFigures.Row("stall 0.5 s", new MatrixFigures.Timeline(500, -1, null), null,
                warden, calm, stall))).doesNotContainKey("in_flight_released_ms").containsEntry("ready_after_heal_ms", null);
    }
}
