package dev.warden.drill.pooler;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.warden.drill.DrillFigures;
import dev.warden.drill.SideBySide;
import dev.warden.drill.StateTimeline;
import dev.warden.drill.Verdict;
import dev.warden.drill.WriteClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The figures of {@code warden drill pgbouncer}: the pooler and Warden's settings, the init race, each
 * client's totals, one row per fault, PgBouncer's own warnings, and the targets that failed.
 */
record PgBouncerFigures(@JsonUnwrapped Setup setup, Init init, @JsonUnwrapped SideBySide<Client> clients,
                        List<Phase> phases, Map<String, Long> pgbouncerLogProblems, long runS,
                        @JsonUnwrapped Verdict verdict) implements DrillFigures.Judged {

    static final long FIRST_COMMIT_AFTER_READY_MAX_MS = 100;

    /** PgBouncer and Warden's settings for it, as the drill ran them. */
    record Setup(Bouncer pgbouncer, WardenSettings wardenConfig) {
    }

    /** PgBouncer as the drill ran it. */
    record Bouncer(String poolMode, int defaultPoolSize, String url) {
    }

    /** Warden's settings for the pooler, by their environment variables. */
    record WardenSettings(@JsonProperty("WARDEN_POOLER") String pooler,
                          @JsonProperty("WARDEN_INIT_LOCK") String initLock,
                          @JsonProperty("WARDEN_INIT_DB_URL") String initDbUrl,
                          @JsonProperty("WARDEN_STATEMENT_TIMEOUT") String statementTimeout, int poolSize) {
    }

    /** The init workers that started together: exactly one initialisation must commit. */
    record Init(int workers, int workersReady, int seederRuns, long initialisationsCommitted,
                long doubleInitialisations, long allReadyAfterMs, List<String> errors) {
    }

    /** One client's totals, its lost writes and its requests hung beyond PgBouncer's own hold. */
    record Client(@JsonUnwrapped WriteClient.Totals totals, long lostWrites,
                  @JsonProperty("hung_over_5s_beyond_pooler_hold") long hungOver5sBeyondPoolerHold) {
    }

    /** Writes acknowledged and requests failed during one phase. */
    record Delta(long acknowledged, long failed) {

        static Delta between(long[] before, long[] after) {
            return new Delta(after[0] - before[0], after[1] - before[1]);
        }
    }

    /** One fault: what PgBouncer did, Warden's states around it, and what each client did meanwhile. */
    record Phase(String phase, @JsonUnwrapped PoolerFault.Figures fault, Long degradedAfterMs, Long readyAfterMs,
                 Double firstCommitAfterReadyMs, String wardenStateAtEnd, @JsonUnwrapped SideBySide<Delta> deltas) {

        static Phase of(String phase, PoolerFault.Figures fault, StateTimeline.Phase states, String wardenStateAtEnd,
                        SideBySide<Delta> deltas) {
            return new Phase(phase, fault, states.degradedAfterMs(), states.readyAfterMs(),
                    states.firstCommitAfterReadyMs(), wardenStateAtEnd, deltas);
        }
    }

    /** The targets Warden's figures miss (none: the drill passes). */
    static List<String> failedTargets(Client warden, List<Phase> phases) {
        List<String> failed = new ArrayList<>();
        if (warden.lostWrites() != 0) {
            failed.add("warden lost_writes == 0");
        }
        if (warden.hungOver5sBeyondPoolerHold() != 0) {
            failed.add("no warden request hung > 5 s (beyond PgBouncer's own hold)");
        }
        for (Phase p : phases) {
            Double fc = p.firstCommitAfterReadyMs();
            if (p.readyAfterMs() != null && !(fc != null && fc <= FIRST_COMMIT_AFTER_READY_MAX_MS)) {
                failed.add(p.phase() + ": first_commit_after_ready_ms <= " + FIRST_COMMIT_AFTER_READY_MAX_MS);
            }
            if (p.degradedAfterMs() != null && p.readyAfterMs() == null) {
                failed.add(p.phase() + ": READY again after DEGRADED");
            }
        }
        return failed;
    }
}
