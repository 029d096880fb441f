package dev.warden.tx;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Counters of transaction outcomes; cheap to update from many threads, read as a {@link Snapshot}. */
public final class TxStats {

    private final LongAdder committed = new LongAdder();
    private final LongAdder rolledBack = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder commitUnknown = new LongAdder();
    private final LongAdder commitResolved = new LongAdder();
    private final EnumMap<ErrorKind, LongAdder> failures = new EnumMap<>(ErrorKind.class);

    public TxStats() {
        for (ErrorKind kind : ErrorKind.values()) {
            failures.put(kind, new LongAdder());
        }
    }

    void committed() { committed.increment(); }
    void retried() { retries.increment(); }
    void commitUnknown() { commitUnknown.increment(); }
    void resolvedCommit() { commitResolved.increment(); }

    /** Lost COMMITs whose outcome a fresh connection found out ({@code verifyCommit()}), committed or aborted. */
    public long commitResolved() {
        return commitResolved.sum();
    }

    void failed(ErrorKind kind) {
        rolledBack.increment();
        failures.get(kind).increment();
    }

    void rolledBackOnRequest() {
        rolledBack.increment();
    }

    /**
     * Counters at one moment.
     *
     * @param committed     transactions committed
     * @param rolledBack    transactions that ended in a rollback (failed, or asked for it)
     * @param retries       runs repeated after a transient failure
     * @param commitUnknown transactions whose COMMIT outcome is unknown (connection lost during commit)
     * @param failures      failed transactions by kind
     * @param commitResolved lost COMMITs whose outcome was found out ({@code verifyCommit()}): committed or aborted
     */
    public record Snapshot(long committed, long rolledBack, long retries, long commitUnknown,
                           Map<ErrorKind, Long> failures, long commitResolved) {
    }

    public Snapshot snapshot() {
        EnumMap<ErrorKind, Long> byKind = new EnumMap<>(ErrorKind.class);
        failures.forEach((k, v) -> byKind.put(k, v.sum()));
        return new Snapshot(committed.sum(), rolledBack.sum(), retries.sum(), commitUnknown.sum(),
                Collections.unmodifiableMap(byKind), commitResolved.sum());
    }

    // For transaction engines outside this package that run on Warden's pool (the Spring Boot
    // starter's transaction manager): the same counters, so the health report and metrics count them.

    /** Counts a committed transaction. */
    public void recordCommitted() {
        committed();
    }

    /** Counts a run repeated after a transient failure. */
    public void recordRetried() {
        retried();
    }

    /** Counts a transaction whose COMMIT outcome is unknown (it also counts as failed with CONNECTION). */
    public void recordCommitUnknown() {
        commitUnknown();
        failed(ErrorKind.CONNECTION);
    }

    /** Counts a transaction rolled back because of a failure of this kind. */
    public void recordFailed(ErrorKind kind) {
        failed(kind);
    }

    /** Counts a rollback whose cause the engine does not see (e.g. a Spring rollback rule or rollback-only). */
    public void recordRolledBack() {
        rolledBackOnRequest();
    }
}
