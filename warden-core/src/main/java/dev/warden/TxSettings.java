package dev.warden;

import dev.warden.tx.Isolation;
import dev.warden.tx.RetryPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * Transactions' defaults.
 *
 * @param retry            retry policy ({@code WARDEN_RETRY_*})
 * @param isolation        isolation level ({@code WARDEN_TX_ISOLATION})
 * @param statementTimeout server-side limit per statement, zero for none ({@code WARDEN_STATEMENT_TIMEOUT})
 * @param verifyCommit     every transaction finds out what became of a COMMIT lost with its connection
 *                         ({@code WARDEN_TX_VERIFY_COMMIT}); see {@code TransactionBuilder.verifyCommit()}
 * @param verifyPatience   how long a transaction whose COMMIT was lost keeps asking what became of it
 *                         before its caller gets {@code CommitOutcomeUnknownException}
 *                         ({@code WARDEN_TX_VERIFY_PATIENCE}, 60 s: Patroni's failover at its default
 *                         ttl and loop_wait fits in it)
 */
public record TxSettings(RetryPolicy retry, Isolation isolation, Duration statementTimeout, boolean verifyCommit,
                         Duration verifyPatience) {
    public TxSettings {
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(isolation, "isolation");
        Objects.requireNonNull(statementTimeout, "statementTimeout");
        Objects.requireNonNull(verifyPatience, "verifyPatience");
    }
}
