package dev.warden.drill.matrix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

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
    @SuppressWarnings("unchecked")
    void aPgBouncerPauseIsRiddenThroughAsThePlainPoolDoes() throws Exception {
        assumeThat(PgBouncer.requireUnlessSkippable()).as("pgbouncer installed").isTrue();
        MatrixDrill d = new MatrixDrill();
        new CommandLine(d).parseArgs("--faults", "PGBOUNCER_PAUSE", "--writers", "4", "--pool", "6");
        Map<String, Object> out = d.execute();

        List<Map<String, Object>> rows = (List<Map<String, Object>>) out.get("faults");
        assertThat(rows).as("figures %s", out).hasSize(1);
        Map<String, Object> row = rows.get(0);
        Map<String, Object> warden = (Map<String, Object>) row.get("warden");
        Map<String, Object> plain = (Map<String, Object>) row.get("hikari");
        assertThat((long) warden.get("requests")).as("figures %s", row).isPositive();
        assertThat(plain).as("the plain pool's figures %s", row).containsEntry("failed", 0L);
        assertThat(warden).as("figures %s", row).containsEntry("failed", 0L).containsEntry("unknown", 0L)
                .containsEntry("lost", 0L).containsEntry("still_running", 0L);
        // The pause is seen as a live host whose server is silent (STALLED), never as an outage.
        assertThat(row).as("figures %s", row).containsEntry("degraded_ms", -1L);
        assertThat((double) warden.get("max_ms")).as("figures %s", row).isLessThanOrEqualTo(15_000.0);
        assertThat((Map<String, Boolean>) row.get("targets")).as("figures %s", row).doesNotContainValue(false);
        assertThat((List<String>) out.get("not_run")).allMatch(n -> n.endsWith("not in --faults"));
    }
}
