package dev.warden.drill.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * One failover on a real primary and streaming standby (synchronous replication), then a primary
 * demoted in place, under write load. Bounds are generous (a loaded build machine); the tight
 * targets are the drill's own.
 */
class FailoverDrillTest {

    @Test
    void promotedStandbyTakesOverWithoutLosingAcknowledgedWritesAndADemotedPrimaryIsNotReady() throws Exception {
        FailoverDrill d = new FailoverDrill();
        new CommandLine(d).parseArgs("--mode", "sync", "--rounds", "1", "--threads", "2");
        Map<String, Object> f = d.execute();
        assertThat(f.get("rounds")).isEqualTo(1);
        assertThat((long) f.get("acknowledged_writes")).isPositive();
        assertThat(f.get("lost_writes")).isEqualTo(0L);
        assertThat((long) f.get("ready_after_promote_ms_max")).isBetween(0L, 10_000L);
        assertThat((List<?>) f.get("first_commit_after_promote_ms")).hasSize(1);
        assertThat((long) f.get("demoted_in_place_recover_ms")).isBetween(0L, 10_000L);
        // The demoted server answers every write with 25006: Warden must leave READY well before the
        // other server is promoted (2 s later), or this figure would cover the whole window.
        assertThat((long) f.get("ready_while_read_only_ms")).isLessThan(1900L);
        assertThat(f.get("commit_unknown_reported")).isEqualTo(0L);
    }
}
