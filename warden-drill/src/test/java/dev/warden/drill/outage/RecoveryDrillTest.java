package dev.warden.drill.outage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The recovery figure on a real embedded PostgreSQL, stopped and started twice. */
class RecoveryDrillTest {

    @Test
    void measuresTheFirstCommitAfterTheDatabaseIsBackForWardenAndRawHikari() throws Exception {
        RecoveryDrill d = new RecoveryDrill();
        new CommandLine(d).parseArgs("--restarts", "2", "--down-ms", "500", "--threads", "2");
        Map<String, Object> f = d.execute();
        assertThat(f).containsKeys("warden_recover_ms_p50", "warden_recover_ms_max", "hikari_recover_ms_p50",
                "hikari_recover_ms_max", "ratio_p50", "hikari_not_recovered");
        assertThat(f.get("warden_not_recovered")).isEqualTo(0L);
        assertThat((List<?>) f.get("warden_recover_ms")).hasSize(2);
        // every restart gives HikariCP a figure or counts it as not recovered within 60 s
        assertThat(((List<?>) f.get("hikari_recover_ms")).size() + (long) f.get("hikari_not_recovered")).isEqualTo(2L);
        assertThat((long) f.get("warden_recover_ms_max")).isBetween(0L, 60_000L);
    }
}
