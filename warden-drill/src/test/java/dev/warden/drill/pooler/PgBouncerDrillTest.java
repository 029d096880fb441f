package dev.warden.drill.pooler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.warden.testing.PgBouncer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * {@code warden drill pgbouncer --mode transaction}, short: a real PgBouncer 1.18 in transaction mode,
 * the URL as a user writes it, init workers, then PAUSE 5 s, KILL + RESUME and RECONNECT under load.
 * The drill's own targets must hold; the plain HikariCP client beside it is measured, not judged.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PgBouncerDrillTest {

    @Test
    @SuppressWarnings("unchecked")
    void transactionModeKeepsEveryTargetThroughPauseKillAndReconnect() throws Exception {
        assumeTrue(PgBouncer.requireUnlessSkippable(), PgBouncer.BINARY + " is not installed: skipped outside CI");
        PgBouncerDrill d = new PgBouncerDrill();
        new CommandLine(d).parseArgs("--mode", "transaction", "--seconds", "2", "--threads", "2");
        Map<String, Object> f = d.execute();
        assertThat((List<String>) f.get("failed_targets")).as("failed targets").isEmpty();
        assertThat(f.get("pass")).isEqualTo(true);
        Map<String, Object> init = (Map<String, Object>) f.get("init");
        assertThat(init.get("initialisations_committed")).isEqualTo(1L);
        assertThat(init.get("workers_ready")).isEqualTo(3);
        Map<String, Object> warden = (Map<String, Object>) f.get("warden");
        assertThat((long) warden.get("acknowledged")).isPositive();
        assertThat(warden.get("lost_writes")).isEqualTo(0L);
        assertThat(warden.get("hung_over_5s_beyond_pooler_hold")).isEqualTo(0L);
        List<Map<String, Object>> phases = (List<Map<String, Object>>) f.get("phases");
        assertThat(phases).extracting(p -> p.get("phase")).containsExactly("steady", "pause", "kill", "reconnect");
        assertThat(phases.get(1).get("pause_completed")).as("PAUSE completes in transaction mode").isEqualTo(true);
        assertThat(phases).allSatisfy(p -> assertThat((Map<String, Object>) p.get("warden"))
                .extractingByKey("acknowledged").satisfies(n -> assertThat((long) n).isPositive()));
        assertThat(f).containsKey("plain");
    }

    @Test
    void aLostWriteOrASlowFirstCommitFailsTheDrill() {
        Map<String, Object> warden = new HashMap<>(Map.of("lost_writes", 1L, "hung_over_5s_beyond_pooler_hold", 0L));
        Map<String, Object> phase = new HashMap<>();
        phase.put("phase", "kill");
        phase.put("degraded_after_ms", 100L);
        phase.put("ready_after_ms", 900L);
        phase.put("first_commit_after_ready_ms", 250.0);
        List<String> failed = new ArrayList<>();
        PgBouncerDrill.targets(Map.of("warden", warden, "phases", List.of(phase)), failed);
        assertThat(failed).containsExactly("warden lost_writes == 0", "kill: first_commit_after_ready_ms <= 100");
        warden.put("lost_writes", 0L);
        phase.put("first_commit_after_ready_ms", 12.5);
        failed.clear();
        PgBouncerDrill.targets(Map.of("warden", warden, "phases", List.of(phase)), failed);
        assertThat(failed).isEmpty();
    }
}
