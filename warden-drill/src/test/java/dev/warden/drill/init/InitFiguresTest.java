package dev.warden.drill.init;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.drill.JsonOutput;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code warden drill init --json}: one flat object, its names and order as docs/init.md and README.md use them. */
class InitFiguresTest {

    private static InitFigures figures(InitFigures.Cuts cuts, InitFigures.Migration migration, InitFigures.Lease lease) {
        return new InitFigures(new InitFigures.Run(2, 3, "advisory", false, false, cuts != null,
                new InitFigures.Timeouts("10s", "default")),
                new InitFigures.Epochs(1, 0, 0, 0, 1, true, new InitFigures.Holders(0, 0, null, null)), cuts, migration,
                new InitFigures.Outcome(0, 0, new InitFigures.AllReady(1400, 1500), 1100L, 5000, "embedded PostgreSQL",
                        List.of()), lease);
    }

    @Test
    void theGroupsThatDoNotApplyAreAbsent() {
        assertThat(JsonOutput.fields(figures(null, null, null)).keySet()).containsExactly("trials", "workers", "lock",
                "wipe", "kill_holder", "cut_holder", "idle_timeout", "init_timeout", "max_initializations_per_epoch",
                "double_initializations", "missing_initializations", "wipes_per_epoch_max", "seeds_per_epoch_max",
                "seeded_rows_ok", "holder_kills", "takeovers", "takeover_ms_p50", "takeover_ms_max", "failed_workers",
                "stuck_locks", "all_ready_ms_p50", "all_ready_ms_max", "single_worker_init_ms_p50", "seed_rows",
                "database", "failures");
    }

    @Test
    void cutsMigrationAndLeaseComeInTheirPlaces() {
        InitFigures f = figures(new InitFigures.Cuts(1, 3000L, 3000L),
                new InitFigures.Migration(5, false, 1, 0, 0, 1, 0), new InitFigures.Lease("3s", "500ms"));
        assertThat(JsonOutput.fields(f).keySet()).containsSubsequence("takeover_ms_max", "holder_cuts",
                "takeover_after_cut_ms_p50", "takeover_after_cut_ms_max", "migration_seconds", "concurrent_index",
                "migration_runs_per_epoch_max", "migrations_applied_twice", "migrations_missing", "interrupted_reruns",
                "invalid_indexes_left", "failed_workers", "failures", "lease_ttl", "heartbeat");
        assertThat(f.passed()).isTrue();
        InitFigures slowCut = figures(new InitFigures.Cuts(1, 3000L, InitFigures.TAKEOVER_AFTER_CUT_BOUND_MS + 1), null, null);
        assertThat(slowCut.passed()).as("a cut-off holder kept the epoch past the bound").isFalse();
        assertThat(figures(null, new InitFigures.Migration(5, false, 2, 1, 0, 0, 0), null).passed())
                .as("a migration applied twice").isFalse();
    }
}
