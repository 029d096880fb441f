package dev.warden.internal.tx;

import dev.warden.ErrorKind;
import dev.warden.tx.TxStats;
import java.util.EnumMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind {@link TxStats}: cheap to update from many threads. Public for the transaction
 * engines that run on Warden's pool outside this package (the Spring Boot starter's manager), so that
 * the health report and metrics count their transactions too.
 */
public final class TxCounters implements TxStats {

    private final LongAdder committed = new LongAdder();
    private final LongAdder rolledBack = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder commitUnknown = new LongAdder();
    private final LongAdder commitResolved = new LongAdder();
    private final EnumMap<ErrorKind, LongAdder> failures = new EnumMap<>(ErrorKind.class);

    public TxCounters() {
        for (ErrorKind kind : ErrorKind.values()) {
            failures.put(kind, new LongAdder());
        }
    }

    @Override
    public long commitResolved() {
        return commitResolved.sum();
    }

    @Override
    public Snapshot snapshot() {
        EnumMap<ErrorKind, Long> byKind = new EnumMap<>(ErrorKind.class);
        failures.forEach((k, v) -> byKind.put(k, v.sum()));
        return new Snapshot(committed.sum(), rolledBack.sum(), retries.sum(), commitUnknown.sum(), byKind,
                commitResolved.sum());
    }

    /** Counts a committed transaction. */
    public void recordCommitted() {
        committed.increment();
    }

    /** Counts a run repeated after a transient failure. */
    public void recordRetried() {
        retries.increment();
    }

    /** Counts a lost COMMIT whose outcome was found out. */
    public void recordResolved() {
        commitResolved.increment();
    }

    /** Counts a transaction whose COMMIT outcome is unknown (it also counts as failed with CONNECTION). */
    public void recordCommitUnknown() {
        commitUnknown.increment();
        recordFailed(ErrorKind.CONNECTION);
    }

    /** Counts an unknown outcome only (the caller counts the failure by its own kind). */
    public void recordCommitUnknownOnly() {
        commitUnknown.increment();
    }

    /** Counts a transaction rolled back because of a failure of this kind. */
    public void recordFailed(ErrorKind kind) {
        rolledBack.increment();
        failures.get(kind).increment();
    }

    /** Counts a rollback whose cause the engine does not see (asked for, a rollback rule, rollback-only). */
    public void recordRolledBack() {
        rolledBack.increment();
    }
}
