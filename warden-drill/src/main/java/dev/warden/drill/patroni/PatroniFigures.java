package dev.warden.drill.patroni;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.warden.drill.DrillFigures;
import dev.warden.drill.SideBySide;
import dev.warden.drill.StateTimeline;
import dev.warden.drill.Verdict;
import dev.warden.drill.WriteClient;
import java.util.ArrayList;
import java.util.List;

/**
 * The figures of {@code warden drill patroni}: the cluster's settings, the init race during a
 * switchover, each client's totals, one row per fault, and the targets that failed.
 */
record PatroniFigures(Cluster patroni, Init init, @JsonUnwrapped SideBySide<Client> clients, List<Phase> phases,
                      long runS, @JsonUnwrapped Verdict verdict) implements DrillFigures.Judged {

    static final long FIRST_COMMIT_AFTER_READY_MAX_MS = 100;

    /** The cluster as the drill ran it. */
    record Cluster(int members, int ttlS, int loopWaitS, int retryTimeoutS, boolean synchronousMode) {
    }

    /** The init workers that started during a switchover: exactly one initialisation must commit. */
    record Init(int workers, int workersReady, int seederRuns, long initialisationsCommitted, List<String> errors) {
    }

    /**
     * One client's totals and its lost writes; for Warden also the COMMIT outcomes it resolved
     * ({@code verifyCommit}), absent for the plain pool.
     */
    record Client(@JsonUnwrapped WriteClient.Totals totals, long lostWrites,
                  @JsonInclude(JsonInclude.Include.NON_NULL) Long commitOutcomesResolved) {
    }

    /**
     * One fault: when the new leader was seen, when Warden went DEGRADED and READY again (from the
     * fault's start), and Warden's first commit after READY in whole ms (null when none of these came).
     */
    record Phase(String phase, long newLeaderSeenAfterMs, Long degradedAfterMs, Long readyAfterMs,
                 Long firstCommitAfterReadyMs) {

        static Phase of(String phase, long newLeaderSeenAfterMs, StateTimeline.Phase states) {
            return new Phase(phase, newLeaderSeenAfterMs, states.degradedAfterMs(), states.readyAfterMs(),
                    states.firstCommitAfterReadyWholeMs());
        }
    }

    /** The targets the load's figures miss. */
    static List<String> failedTargets(Client warden, List<Phase> phases) {
        List<String> failed = new ArrayList<>();
        if (warden.lostWrites() != 0) {
            failed.add("warden lost_writes == 0");
        }
        if (warden.totals().unknownOutcomes() != 0) {
            failed.add("warden unknown_outcomes == 0 (verifyCommit)");
        }
        for (Phase p : phases) {
            Long fc = p.firstCommitAfterReadyMs();
            if (p.readyAfterMs() != null && !(fc != null && fc <= FIRST_COMMIT_AFTER_READY_MAX_MS)) {
                failed.add(p.phase() + ": first_commit_after_ready_ms <= " + FIRST_COMMIT_AFTER_READY_MAX_MS);
            }
        }
        return failed;
    }
}
