package dev.warden.tx;

import java.time.Duration;
import java.util.Objects;

/**
 * The options of one transaction, as {@link TransactionBuilder} collects them.
 *
 * @param readOnly     the server rejects writes
 * @param isolation    the isolation level
 * @param timeout      the statement timeout for the transaction, or null for the configured default
 * @param retry        which failures are retried, how often and how far apart
 * @param label        the name in metrics and errors
 * @param verifyCommit ask a fresh connection what became of a COMMIT lost on the wire
 */
public record TxOptions(boolean readOnly, Isolation isolation, Duration timeout, RetryPolicy retry, String label,
                        boolean verifyCommit) {

    /** Checks that the required options are there. */
    public TxOptions {
        Objects.requireNonNull(isolation, "isolation");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(label, "label");
    }
}
