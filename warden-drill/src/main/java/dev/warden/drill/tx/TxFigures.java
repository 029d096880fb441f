package dev.warden.drill.tx;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.warden.drill.DrillFigures;
import dev.warden.tx.Isolation;
import java.util.List;
import java.util.Map;

/**
 * The figures of {@code warden drill tx}, printed as one flat JSON object (the nested records are
 * unwrapped): what was run, what the callers were told, the unknown outcomes, what the engine did,
 * and the check of the database against what the callers were told.
 */
record TxFigures(@JsonUnwrapped Run run, @JsonUnwrapped Told told, @JsonUnwrapped Unknown unknown,
                 @JsonUnwrapped Engine engine, @JsonUnwrapped Check check,
                 @JsonUnwrapped(prefix = "unclassified_") Unclassified unclassified, boolean ok)
        implements DrillFigures {

    /** The options the drill ran with. */
    record Run(int seconds, int threads, int accounts, Isolation isolation, long killEveryMs, double failRate) {
    }

    /** What the callers were told: {@code failedByKind} and {@code failedExamples} by {@code ErrorKind} name. */
    record Told(int transfers, long committed, long failed, Map<String, Long> failedByKind,
                Map<String, String> failedExamples, long injectedFailures) {
    }

    /** COMMITs whose outcome was unknown to the caller, and those Warden resolved ({@code verifyCommit}). */
    record Unknown(long commitUnknown, long commitUnknownApplied, boolean verifyCommit, long commitResolved) {
    }

    /** What Warden and the server did meanwhile. */
    record Engine(long retries, long backendKills, long serverDeadlocks, double committedMsP50, double committedMsP99) {
    }

    /** The database against what the callers were told: every one must be 0. */
    record Check(long lostCommits, long halfCommits, long doubleCommits, long unknownTransferRows, long balanceDrift,
                 long ledgerMismatchedAccounts) {

        boolean clean() {
            return lostCommits == 0 && halfCommits == 0 && doubleCommits == 0 && unknownTransferRows == 0
                    && balanceDrift == 0 && ledgerMismatchedAccounts == 0;
        }
    }

    /** Errors that were not Warden's exceptions: their count, and up to five of them (absent when there are none). */
    record Unclassified(int errors, @JsonInclude(JsonInclude.Include.NON_NULL) List<String> examples) {
    }

    /** The figures; {@code ok} when the check is clean, nothing was unclassified and, with verifyCommit, nothing unknown. */
    static TxFigures of(Run run, Told told, Unknown unknown, Engine engine, Check check, Unclassified unclassified) {
        boolean ok = check.clean() && unclassified.errors() == 0
                && (!unknown.verifyCommit() || unknown.commitUnknown() == 0);
        return new TxFigures(run, told, unknown, engine, check, unclassified, ok);
    }

    @Override
    public boolean passed() {
        return ok;
    }

    @Override
    public String summary() {
        return """
                tx drill: %s s, %s threads, %s accounts, %s, %s, %s %% of transfers fail in their code
                  transfers %s: committed %s, failed %s %s, injected failures %s, commit outcome unknown %s (%s applied), lost COMMITs resolved %s%s
                  retries %s, backends killed %s, deadlocks broken by the server %s; committed transfer p50 %s ms, p99 %s ms
                  checked against the database:
                    acknowledged but missing %s, failed but present %s, applied twice %s
                    money created or lost %s, accounts whose balance differs from their ledger %s, unclassified errors %s
                %s
                """.formatted(run.seconds(), run.threads(), run.accounts(), run.isolation(),
                run.killEveryMs() == 0 ? "no backend killed" : "a backend killed every " + run.killEveryMs() + " ms",
                Math.round(run.failRate() * 1000) / 10.0, told.transfers(), told.committed(), told.failed(),
                told.failedByKind(), told.injectedFailures(), unknown.commitUnknown(), unknown.commitUnknownApplied(),
                unknown.commitResolved(), unknown.verifyCommit() ? " (verifyCommit: unknown must be 0)" : "",
                engine.retries(), engine.backendKills(), engine.serverDeadlocks(), engine.committedMsP50(),
                engine.committedMsP99(), check.lostCommits(), check.halfCommits(), check.doubleCommits(),
                check.balanceDrift(), check.ledgerMismatchedAccounts(), unclassified.errors(),
                ok ? "  OK: no transfer half-committed, none was lost or applied twice."
                        : "  FAILED: the database does not match what the callers were told.").stripTrailing();
    }
}
