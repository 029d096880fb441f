package dev.warden.drill.failover;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.warden.drill.DrillFigures;
import dev.warden.drill.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The figures of {@code warden drill failover}, printed as one flat JSON object: the promotions,
 * the writes, the primary demoted in place, the COMMITs whose outcome was lost, every round's
 * times, and which targets failed ({@code pass} when none did).
 */
record FailoverFigures(@JsonIgnore int threads, @JsonUnwrapped Promotions promotions, @JsonUnwrapped Writes writes,
                       @JsonUnwrapped Demoted demoted, @JsonUnwrapped Unknown unknown, @JsonUnwrapped Rounds each,
                       @JsonUnwrapped Verdict verdict) implements DrillFigures {

    static final long READY_AFTER_PROMOTE_MAX_MS = 1000;
    static final long DEMOTED_RECOVER_MAX_MS = 2000;
    static final long READY_WHILE_READ_ONLY_MAX_MS = 1500;

    /** Crash the primary, promote the standby: rounds measured, and the longest times to READY and to a commit (-1: none). */
    record Promotions(FailoverDrill.Mode mode, int rounds, long readyAfterPromoteMsMax,
                      long firstCommitAfterPromoteMsMax) {
    }

    /** Acknowledged writes, those missing on the final primary per replication mode (null: mode not run), failures by kind. */
    record Writes(long acknowledgedWrites, Long lostWrites, Long lostWritesAsync, Map<String, Long> failedRequestsByKind) {
    }

    /** The primary turned read-only in place: other server writable → first write, and READY while every write failed. */
    record Demoted(long demotedInPlaceRecoverMs, long readyWhileReadOnlyMs) {
    }

    /** {@code CommitOutcomeUnknownException}s that reached the writers, and lost COMMITs Warden resolved. */
    record Unknown(long commitUnknownReported, long commitUnknownResolved) {
    }

    /** Every round's promotion → READY and promotion → first commit. */
    record Rounds(List<Long> readyAfterPromoteMs, List<Long> firstCommitAfterPromoteMs) {
    }

    /** The figures, judged against the targets; {@code expectedRounds} is rounds × modes. */
    static FailoverFigures judge(int threads, int expectedRounds, Promotions promotions, Writes writes, Demoted demoted,
                                 Unknown unknown, Rounds each) {
        List<String> failed = new ArrayList<>();
        long readyMax = promotions.readyAfterPromoteMsMax();
        if (each.readyAfterPromoteMs().size() < expectedRounds || readyMax < 0 || readyMax > READY_AFTER_PROMOTE_MAX_MS) {
            failed.add("ready_after_promote_ms_max <= " + READY_AFTER_PROMOTE_MAX_MS);
        }
        if (each.firstCommitAfterPromoteMs().size() < expectedRounds) {
            failed.add("a commit after every promotion");
        }
        if (writes.lostWrites() != null && writes.lostWrites() != 0) {
            failed.add("lost_writes == 0 (synchronous replication)");
        }
        if (demoted.demotedInPlaceRecoverMs() < 0 || demoted.demotedInPlaceRecoverMs() > DEMOTED_RECOVER_MAX_MS) {
            failed.add("demoted_in_place_recover_ms <= " + DEMOTED_RECOVER_MAX_MS);
        }
        if (demoted.readyWhileReadOnlyMs() > READY_WHILE_READ_ONLY_MAX_MS) {
            failed.add("ready_while_read_only_ms <= " + READY_WHILE_READ_ONLY_MAX_MS);
        }
        if (unknown.commitUnknownReported() != 0) {
            failed.add("commit_unknown_reported == 0");
        }
        return new FailoverFigures(threads, promotions, writes, demoted, unknown, each,
                Verdict.of(failed));
    }

    @Override
    public boolean passed() {
        return verdict.pass();
    }

    @Override
    public String summary() {
        return """
                failover drill: %s round(s) per mode (%s), %s writer threads, multi-host URL targetServerType=primary
                  crash primary -> promote standby:
                    READY after promote          max %s ms (target <= %d)
                    first commit after promote   max %s ms
                    acknowledged writes %s, lost: synchronous %s (target 0), asynchronous %s (reported)
                  primary demoted in place (read-only) while the other becomes writable:
                    READY while every write fails  %s ms (target <= %d)
                    writable server -> first write %s ms (target <= %d)
                  lost COMMITs (verifyCommit): resolved %s, unknown reported to callers %s (target 0)
                  failed requests by kind: %s
                  %s""".formatted(promotions.rounds(), promotions.mode(), threads, promotions.readyAfterPromoteMsMax(),
                READY_AFTER_PROMOTE_MAX_MS, promotions.firstCommitAfterPromoteMsMax(), writes.acknowledgedWrites(),
                writes.lostWrites(), writes.lostWritesAsync(), demoted.readyWhileReadOnlyMs(),
                READY_WHILE_READ_ONLY_MAX_MS, demoted.demotedInPlaceRecoverMs(), DEMOTED_RECOVER_MAX_MS,
                unknown.commitUnknownResolved(), unknown.commitUnknownReported(), writes.failedRequestsByKind(),
                DrillFigures.verdict(verdict.pass(), verdict.failedTargets()));
    }
}
