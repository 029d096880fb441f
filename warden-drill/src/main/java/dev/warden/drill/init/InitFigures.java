package dev.warden.drill.init;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.warden.WardenConfig;
import dev.warden.drill.DrillFigures;
import dev.warden.drill.Figures;
import java.util.List;
import java.util.Objects;

/**
 * The figures of {@code warden drill init}, printed as one flat JSON object (the nested records are
 * unwrapped; a group that does not apply to the run is absent): the options, the initialisations per
 * epoch, the cut-offs ({@code --cut-holder}), the long migration, the workers, the lease
 * ({@code --lock lease}). Built from what each trial found; passed when every target holds.
 */
record InitFigures(@JsonUnwrapped Run run, @JsonUnwrapped Epochs epochs, @JsonUnwrapped Cuts cuts,
                   @JsonUnwrapped Migration migration, @JsonUnwrapped Outcome outcome, @JsonUnwrapped Lease lease)
        implements DrillFigures {

    /**
     * What one trial found: its workers, what the database recorded for its epoch, whether the seeded
     * rows are all there, the holder killed or cut off, and whether the init lock was left free.
     */
    record Trial(int index, String epoch, Readiness readiness, EpochCounts counts, boolean rowsOk, Takeover takeover,
                 boolean lockFree) {

        /** The epoch's initialisations: the init log's, or the seeder's runs when more. */
        long initializations() {
            return Math.max(counts.log().initializations(), counts.seeded().seeds());
        }
    }

    /** A trial's workers: expected READY, READY, FAILED, how soon all were READY, who initialised, the failures. */
    record Readiness(int expected, int ready, int failed, long allReadyMs, String initializedBy, List<String> failures) {
    }

    /** A trial's holder: killed or cut off, and ms to its takeover (null when it finished first or was not hit). */
    record Takeover(boolean killed, Long takeoverMs, boolean cut, Long takeoverAfterCutMs) {
    }

    /** The options the drill ran with ({@code initTimeout} is {@code default} when unset). */
    record Run(int trials, int workers, String lock, boolean wipe, boolean killHolder, boolean cutHolder,
               @JsonUnwrapped Timeouts timeouts) {
    }

    /** {@code WARDEN_INIT_IDLE_TIMEOUT} and {@code WARDEN_INIT_TIMEOUT} as given. */
    record Timeouts(String idleTimeout, String initTimeout) {
    }

    /** Initialisations, wipes and seeds per epoch, the holders killed and taken over (ms null when none). */
    record Epochs(long maxInitializationsPerEpoch, long doubleInitializations, long missingInitializations,
                  long wipesPerEpochMax, long seedsPerEpochMax, boolean seededRowsOk, @JsonUnwrapped Holders holders) {
    }

    /** The holders killed, the takeovers, and kill → takeover (ms null when none). */
    record Holders(long holderKills, long takeovers, Long takeoverMsP50, Long takeoverMsMax) {
    }

    /** The holders cut off, and how soon they were taken over (ms null when none). */
    record Cuts(long holderCuts, Long takeoverAfterCutMsP50, Long takeoverAfterCutMsMax) {
    }

    /** The long migration and what became of it. */
    record Migration(int migrationSeconds, boolean concurrentIndex, long migrationRunsPerEpochMax,
                     long migrationsAppliedTwice, long migrationsMissing, long interruptedReruns,
                     long invalidIndexesLeft) {
    }

    /** The workers: failed, locks left held, how soon all were READY (one alone: null without lone runs), the failures. */
    record Outcome(int failedWorkers, int stuckLocks, @JsonUnwrapped AllReady allReady,
                   Long singleWorkerInitMsP50, int seedRows, String database, List<String> failures) {
    }

    /** How soon after GO all workers of a trial were READY, over the trials. */
    record AllReady(long allReadyMsP50, long allReadyMsMax) {
    }

    /** The lease lock's timings. */
    record Lease(String leaseTtl, String heartbeat) {
    }

    /** The most a cut-off holder may keep the epoch from being taken over (issue 12's bound). */
    static final long TAKEOVER_AFTER_CUT_BOUND_MS = 15_000;

    /** True when every target holds (the exit code's rule). */
    @Override
    public boolean passed() {
        boolean migrationsOk = migration == null || (migration.migrationsAppliedTwice() == 0
                && migration.migrationsMissing() == 0 && migration.invalidIndexesLeft() == 0);
        Long cutMax = cuts == null ? null : cuts.takeoverAfterCutMsMax();
        return migrationsOk && epochs.doubleInitializations() == 0 && outcome.failedWorkers() == 0
                && outcome.stuckLocks() == 0 && epochs.seededRowsOk()
                && (cutMax == null || cutMax <= TAKEOVER_AFTER_CUT_BOUND_MS);
    }

    /** The drill's figures from its trials. */
    static InitFigures of(InitDrill d, List<Trial> ts, Long soloP50) {
        Run run = new Run(ts.size(), d.workers, d.lock.toLowerCase(), d.wipe, d.killHolder, d.cutHolder,
                new Timeouts(d.idleTimeout, d.initTimeout == null ? "default" : d.initTimeout));
        List<Long> takeoverMs = ts.stream().map(t -> t.takeover().takeoverMs()).filter(Objects::nonNull).toList();
        Holders holders = new Holders(ts.stream().filter(t -> t.takeover().killed()).count(),
                ts.stream().mapToLong(t -> t.counts().log().takeovers()).sum(), p50(takeoverMs), max(takeoverMs));
        Epochs epochs = new Epochs(ts.stream().mapToLong(Trial::initializations).max().orElse(0),
                ts.stream().filter(t -> t.initializations() > 1).count(),
                ts.stream().filter(t -> t.initializations() < 1).count(),
                ts.stream().mapToLong(t -> t.counts().log().wipes()).max().orElse(0),
                ts.stream().mapToLong(t -> t.counts().seeded().seeds()).max().orElse(0),
                ts.stream().allMatch(Trial::rowsOk), holders);
        Cuts cuts = null;
        if (d.cutHolder) {
            List<Long> afterCut = ts.stream().map(t -> t.takeover().takeoverAfterCutMs()).filter(Objects::nonNull).toList();
            cuts = new Cuts(ts.stream().filter(t -> t.takeover().cut()).count(), p50(afterCut), max(afterCut));
        }
        Migration migration = null;
        if (d.longMigration()) {
            migration = new Migration(d.migrationSeconds, d.concurrentIndex,
                    ts.stream().mapToLong(t -> t.counts().migration().runs()).max().orElse(0),
                    ts.stream().filter(t -> t.counts().migration().runs() > 1).count(),
                    ts.stream().filter(t -> t.counts().migration().runs() < 1).count(),
                    ts.stream().mapToLong(t -> t.counts().log().reruns()).sum(),
                    ts.stream().mapToLong(t -> t.counts().migration().invalidIndexes()).sum());
        }
        List<Long> ready = ts.stream().map(t -> t.readiness().allReadyMs()).toList();
        Outcome outcome = new Outcome(ts.stream().mapToInt(t -> t.readiness().failed()).sum(),
                (int) ts.stream().filter(t -> !t.lockFree()).count(), new AllReady(Figures.percentile(ready, 0.5),
                ready.stream().mapToLong(Long::longValue).max().orElse(0)), soloP50, d.seedRows,
                d.db.url() == null ? "embedded PostgreSQL" : WardenConfig.maskUrl(d.db.url()),
                ts.stream().flatMap(t -> t.readiness().failures().stream()).toList());
        Lease lease = d.lock.equalsIgnoreCase("lease") ? new Lease(d.leaseTtl, d.heartbeat) : null;
        return new InitFigures(run, epochs, cuts, migration, outcome, lease);
    }

    private static Long p50(List<Long> values) {
        return values.isEmpty() ? null : Figures.percentile(values, 0.5);
    }

    private static Long max(List<Long> values) {
        return values.isEmpty() ? null : values.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** The human summary of the figures. */
    @Override
    public String summary() {
        return """
                init drill: %s trials x %s workers (lock %s, wipe %s, kill holder %s) on %s
                  initialisations per epoch: max %s, double initialisations %s, missing %s
                  wipes per epoch: max %s; seeds per epoch: max %s; seeded rows complete: %s
                  holder kills: %s, takeovers: %s (kill -> takeover p50 %s ms, max %s ms)%s
                  all %s workers READY: p50 %s ms, max %s ms after GO (one worker alone: %s ms)
                  failed workers: %s, stuck locks: %s%s
                """.formatted(run.trials(), run.workers(), run.lock(), run.wipe(), run.killHolder(),
                outcome.database(), epochs.maxInitializationsPerEpoch(), epochs.doubleInitializations(),
                epochs.missingInitializations(), epochs.wipesPerEpochMax(), epochs.seedsPerEpochMax(),
                epochs.seededRowsOk(), epochs.holders().holderKills(), epochs.holders().takeovers(),
                epochs.holders().takeoverMsP50(), epochs.holders().takeoverMsMax(), cuts == null ? "" : "\n  holder cuts: " + cuts.holderCuts()
                        + " (cut -> takeover p50 " + cuts.takeoverAfterCutMsP50() + " ms, max "
                        + cuts.takeoverAfterCutMsMax() + " ms)", run.workers(), outcome.allReady().allReadyMsP50(),
                outcome.allReady().allReadyMsMax(), outcome.singleWorkerInitMsP50(), outcome.failedWorkers(), outcome.stuckLocks(),
                migration == null ? "" : "\n  long migration (" + migration.migrationSeconds() + " s"
                        + (migration.concurrentIndex() ? ", CREATE INDEX CONCURRENTLY" : "")
                        + "): applied twice " + migration.migrationsAppliedTwice() + ", missing "
                        + migration.migrationsMissing() + ", runs per epoch max " + migration.migrationRunsPerEpochMax()
                        + ", interrupted and re-run " + migration.interruptedReruns() + ", invalid indexes left "
                        + migration.invalidIndexesLeft())
                .stripTrailing();
    }
}
