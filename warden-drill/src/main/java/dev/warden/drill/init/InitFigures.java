package dev.warden.drill.init;

import dev.warden.WardenConfig;
import dev.warden.drill.Figures;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The figures of {@code warden drill init}: what each trial found, the drill's figures built from
 * them (the JSON object, names and order as ever), the rule that passes them and the human summary.
 */
final class InitFigures {

    private InitFigures() {
    }

    /** What one trial found. */
    record Trial(int index, String epoch, int expected, long allReadyMs, int ready, int failed, long initializations,
                 long wipes, long seeds, long takeovers, boolean killed, Long takeoverMs, boolean rowsOk, boolean lockFree,
                 String initializedBy, long holdMs, List<String> failures, boolean cut, Long takeoverAfterCutMs,
                 long migrationRuns, long reruns, long invalidIndexes) {
    }

    /** The most a cut-off holder may keep the epoch from being taken over (issue 12's bound). */
    static final long TAKEOVER_AFTER_CUT_BOUND_MS = 15_000;

    /** True when every target holds (the exit code's rule). */
    static boolean passed(Map<String, Object> result, boolean longMigration) {
        Object cutMax = result.get("takeover_after_cut_ms_max");
        boolean migrationsOk = !longMigration || ((long) result.get("migrations_applied_twice") == 0
                && (long) result.get("migrations_missing") == 0 && (long) result.get("invalid_indexes_left") == 0);
        return migrationsOk && (long) result.get("double_initializations") == 0 && (int) result.get("failed_workers") == 0
                && (int) result.get("stuck_locks") == 0 && (boolean) result.get("seeded_rows_ok")
                && (cutMax == null || (long) cutMax <= TAKEOVER_AFTER_CUT_BOUND_MS);
    }

    /** The drill's figures (its JSON object), in their order, from its trials. */
    static Map<String, Object> of(InitDrill d, List<Trial> ts, long soloP50) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("trials", ts.size());
        f.put("workers", d.workers);
        f.put("lock", d.lock.toLowerCase());
        f.put("wipe", d.wipe);
        f.put("kill_holder", d.killHolder);
        f.put("cut_holder", d.cutHolder);
        f.put("idle_timeout", d.idleTimeout);
        f.put("init_timeout", d.initTimeout == null ? "default" : d.initTimeout);
        f.put("max_initializations_per_epoch", ts.stream().mapToLong(Trial::initializations).max().orElse(0));
        f.put("double_initializations", ts.stream().filter(t -> t.initializations() > 1).count());
        f.put("missing_initializations", ts.stream().filter(t -> t.initializations() < 1).count());
        f.put("wipes_per_epoch_max", ts.stream().mapToLong(Trial::wipes).max().orElse(0));
        f.put("seeds_per_epoch_max", ts.stream().mapToLong(Trial::seeds).max().orElse(0));
        f.put("seeded_rows_ok", ts.stream().allMatch(Trial::rowsOk));
        f.put("holder_kills", ts.stream().filter(Trial::killed).count());
        f.put("takeovers", ts.stream().mapToLong(Trial::takeovers).sum());
        List<Long> takeoverMs = ts.stream().map(Trial::takeoverMs).filter(x -> x != null).toList();
        f.put("takeover_ms_p50", takeoverMs.isEmpty() ? null : Figures.percentile(takeoverMs, 0.5));
        f.put("takeover_ms_max", takeoverMs.isEmpty() ? null : takeoverMs.stream().mapToLong(Long::longValue).max().orElse(0));
        if (d.cutHolder) {
            f.put("holder_cuts", ts.stream().filter(Trial::cut).count());
            List<Long> afterCut = ts.stream().map(Trial::takeoverAfterCutMs).filter(x -> x != null).toList();
            f.put("takeover_after_cut_ms_p50", afterCut.isEmpty() ? null : Figures.percentile(afterCut, 0.5));
            f.put("takeover_after_cut_ms_max", afterCut.isEmpty() ? null
                    : afterCut.stream().mapToLong(Long::longValue).max().orElse(0));
        }
        if (d.longMigration()) {
            f.put("migration_seconds", d.migrationSeconds);
            f.put("concurrent_index", d.concurrentIndex);
            f.put("migration_runs_per_epoch_max", ts.stream().mapToLong(Trial::migrationRuns).max().orElse(0));
            f.put("migrations_applied_twice", ts.stream().filter(t -> t.migrationRuns() > 1).count());
            f.put("migrations_missing", ts.stream().filter(t -> t.migrationRuns() < 1).count());
            f.put("interrupted_reruns", ts.stream().mapToLong(Trial::reruns).sum());
            f.put("invalid_indexes_left", ts.stream().mapToLong(Trial::invalidIndexes).sum());
        }
        f.put("failed_workers", ts.stream().mapToInt(Trial::failed).sum());
        f.put("stuck_locks", (int) ts.stream().filter(t -> !t.lockFree()).count());
        List<Long> ready = ts.stream().map(Trial::allReadyMs).toList();
        f.put("all_ready_ms_p50", Figures.percentile(ready, 0.5));
        f.put("all_ready_ms_max", ready.stream().mapToLong(Long::longValue).max().orElse(0));
        f.put("single_worker_init_ms_p50", soloP50);
        f.put("seed_rows", d.seedRows);
        f.put("database", d.db.url() == null ? "embedded PostgreSQL" : WardenConfig.maskUrl(d.db.url()));
        List<String> failures = ts.stream().flatMap(t -> t.failures().stream()).toList();
        f.put("failures", failures);
        if (d.lock.equalsIgnoreCase("lease")) {
            f.put("lease_ttl", d.leaseTtl);
            f.put("heartbeat", d.heartbeat);
        }
        return f;
    }

    /** The human summary of the figures. */
    static String summary(Map<String, Object> f) {
        return """
                init drill: %s trials x %s workers (lock %s, wipe %s, kill holder %s) on %s
                  initialisations per epoch: max %s, double initialisations %s, missing %s
                  wipes per epoch: max %s; seeds per epoch: max %s; seeded rows complete: %s
                  holder kills: %s, takeovers: %s (kill -> takeover p50 %s ms, max %s ms)%s
                  all %s workers READY: p50 %s ms, max %s ms after GO (one worker alone: %s ms)
                  failed workers: %s, stuck locks: %s%s
                """.formatted(f.get("trials"), f.get("workers"), f.get("lock"), f.get("wipe"), f.get("kill_holder"),
                f.get("database"), f.get("max_initializations_per_epoch"), f.get("double_initializations"),
                f.get("missing_initializations"), f.get("wipes_per_epoch_max"), f.get("seeds_per_epoch_max"),
                f.get("seeded_rows_ok"), f.get("holder_kills"), f.get("takeovers"), f.get("takeover_ms_p50"),
                f.get("takeover_ms_max"), f.containsKey("holder_cuts") ? "\n  holder cuts: " + f.get("holder_cuts")
                        + " (cut -> takeover p50 " + f.get("takeover_after_cut_ms_p50") + " ms, max "
                        + f.get("takeover_after_cut_ms_max") + " ms)" : "", f.get("workers"), f.get("all_ready_ms_p50"), f.get("all_ready_ms_max"),
                f.get("single_worker_init_ms_p50"), f.get("failed_workers"), f.get("stuck_locks"),
                f.containsKey("migration_seconds") ? "\n  long migration (" + f.get("migration_seconds") + " s"
                        + (Boolean.TRUE.equals(f.get("concurrent_index")) ? ", CREATE INDEX CONCURRENTLY" : "")
                        + "): applied twice " + f.get("migrations_applied_twice") + ", missing " + f.get("migrations_missing")
                        + ", runs per epoch max " + f.get("migration_runs_per_epoch_max") + ", interrupted and re-run "
                        + f.get("interrupted_reruns") + ", invalid indexes left " + f.get("invalid_indexes_left") : "")
                .stripTrailing();
    }
}
