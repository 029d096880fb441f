package dev.warden.drill.outage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.drill.JsonOutput;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The recovery figure on a real embedded PostgreSQL, stopped and started twice. */
class RecoveryDrillTest {

    @Test
    void measuresTheFirstCommitAfterTheDatabaseIsBackForWardenAndRawHikari() throws Exception {
        RecoveryDrill d = new RecoveryDrill();
        new CommandLine(d).parseArgs("--restarts", "2", "--down-ms", "500", "--threads", "2");
        RecoveryFigures f = d.execute();
        assertThat(f.warden().notRecovered()).isZero();
        assertThat(f.wardenRecoverMs()).hasSize(2);
        // every restart gives HikariCP a figure or counts it as not recovered within 60 s
        assertThat(f.hikariRecoverMs().size() + f.hikari().notRecovered()).isEqualTo(2L);
        assertThat(f.warden().recoverMsMax()).isBetween(0L, 60_000L);
        assertThat(f.passed()).isTrue();
        // --json prints the names the docs and scripts read, in this order
        assertThat(JsonOutput.fields(f).keySet()).containsExactly("restarts", "down_ms", "threads",
                "warden_recover_ms_p50", "warden_recover_ms_max", "warden_not_recovered", "hikari_recover_ms_p50",
                "hikari_recover_ms_max", "hikari_not_recovered", "ratio_p50", "warden_recover_ms", "hikari_recover_ms");
    }
}
