package dev.warden.tx;

import dev.warden.ErrorKind;
import java.util.Map;

/** Counters of transaction outcomes since start, read as a {@link Snapshot}. Read-only. */
public interface TxStats {

    /**
     * Counters at one moment.
     *
     * @param committed      transactions committed
     * @param rolledBack     transactions that ended in a rollback (failed, or asked for it)
     * @param retries        runs repeated after a transient failure
     * @param commitUnknown  transactions whose COMMIT outcome is unknown (connection lost during commit)
     * @param failures       failed transactions by kind
     * @param commitResolved lost COMMITs whose outcome was found out ({@code verifyCommit()}): committed or aborted
     */
    record Snapshot(long committed, long rolledBack, long retries, long commitUnknown,
                    Map<ErrorKind, Long> failures, long commitResolved) {
        /** Copies the map. */
        public Snapshot {
            failures = Map.copyOf(failures);
        }
    }

    /** The counters now. */
    Snapshot snapshot();

    /** Lost COMMITs whose outcome a fresh connection found out ({@code verifyCommit()}), committed or aborted. */
    long commitResolved();
}
