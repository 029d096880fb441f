package dev.warden.tx;

import java.time.Duration;
import java.util.Objects;

/**
 * Options of one transaction, then {@link #call(TxWork)} or {@link #run(TxAction)} to run it:
 * <pre>{@code
 * long id = warden.transaction()
 *         .isolation(Isolation.SERIALIZABLE)
 *         .retry(RetryPolicy.of(10, Duration.ofMillis(5), Duration.ofMillis(200)))
 *         .label("place-bid")
 *         .call(tx -> bids.insert(tx.connection(), bid));
 * }</pre>
 * A builder is cheap, meant for one call, and not shared between threads.
 */
public final class TransactionBuilder {

    /** What runs a unit of work with the chosen options: Warden's transaction engine. */
    public interface Runner {
        /** Runs {@code work} in one transaction (or joins the current one) with {@code options}. */
        <T> T execute(TxOptions options, TxWork<T> work);
    }

    private final Runner runner;
    private boolean readOnly;
    private Isolation isolation;
    private Duration timeout;
    private RetryPolicy retry;
    private String label;
    private boolean verifyCommit;

    /** A builder that starts from {@code defaults}; Warden makes them ({@code Warden.transaction()}). */
    public TransactionBuilder(Runner runner, TxOptions defaults) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.readOnly = defaults.readOnly();
        this.isolation = defaults.isolation();
        this.timeout = defaults.timeout();
        this.retry = defaults.retry();
        this.label = defaults.label();
        this.verifyCommit = defaults.verifyCommit();
    }

    /** The options chosen so far. */
    public TxOptions options() {
        return new TxOptions(readOnly, isolation, timeout, retry, label, verifyCommit);
    }

    /** Read-only: the server rejects writes (SQLState 25006), and may run it cheaper. */
    public TransactionBuilder readOnly() {
        return readOnly(true);
    }

    public TransactionBuilder readOnly(boolean readOnly) {
        this.readOnly = readOnly;
        return this;
    }

    /** Isolation of this transaction; set per transaction, so nothing needs resetting afterwards. */
    public TransactionBuilder isolation(Isolation isolation) {
        this.isolation = Objects.requireNonNull(isolation, "isolation");
        return this;
    }

    /**
     * Server-side limit for each statement of this transaction ({@code SET LOCAL statement_timeout});
     * a statement over it fails with {@link dev.warden.ErrorKind#TIMEOUT} and the transaction rolls back.
     */
    public TransactionBuilder timeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("timeout must be from 1ms to " + Integer.MAX_VALUE + "ms, got " + timeout);
        }
        this.timeout = timeout;
        return this;
    }

    /** How to retry transient failures; {@link RetryPolicy#none()} to never retry. */
    public TransactionBuilder retry(RetryPolicy retry) {
        this.retry = Objects.requireNonNull(retry, "retry");
        return this;
    }

    /**
     * Finds out what became of the COMMIT when the connection is lost while it is on the wire,
     * instead of reporting {@link dev.warden.CommitOutcomeUnknownException} at once: before COMMIT Warden reads
     * the transaction's id (one more statement on this opt-in path), and after a lost COMMIT a fresh
     * connection asks the server ({@code pg_xact_status}): committed → the call succeeds and the
     * {@code afterCommit} callbacks run; aborted → retried like any transient failure; still in
     * progress → asked again (for up to 15 s). Only when no server can tell does the caller get
     * {@link dev.warden.CommitOutcomeUnknownException}. {@code WARDEN_TX_VERIFY_COMMIT=true} turns it on for
     * every transaction. Needs PostgreSQL 13 or later.
     */
    public TransactionBuilder verifyCommit() {
        return verifyCommit(true);
    }

    /** Turns commit verification on or off for this transaction; see {@link #verifyCommit()}. */
    public TransactionBuilder verifyCommit(boolean verify) {
        this.verifyCommit = verify;
        return this;
    }

    /** A name for logs, errors and metrics, e.g. {@code "place-bid"}. */
    public TransactionBuilder label(String label) {
        Objects.requireNonNull(label, "label");
        if (label.isBlank() || label.length() > 100) {
            throw new IllegalArgumentException("label must be 1 to 100 characters, got \"" + label + "\"");
        }
        this.label = label;
        return this;
    }

    /**
     * Runs {@code work} in one transaction and returns its result. Commits exactly once when the work
     * returns; rolls back and rethrows when it throws (checked exceptions wrapped once in a
     * {@link dev.warden.TransactionException}); retries the whole work on {@link dev.warden.ErrorKind#isRetryable()
     * transient} failures within the retry policy. Inside another transaction of the same Warden on
     * the same thread, joins it instead: no commit of its own, and a failure makes the outer one roll
     * back.
     *
     * @throws dev.warden.TransactionException          the work failed for a database reason, rolled back
     * @throws dev.warden.CommitOutcomeUnknownException the connection failed during COMMIT (and, with
     *                                       {@link #verifyCommit()}, no server could tell the outcome)
     */
    public <T> T call(TxWork<T> work) {
        return runner.execute(options(), work);
    }

    /** Like {@link #call(TxWork)} for work without a result. */
    public void run(TxAction work) {
        Objects.requireNonNull(work, "work");
        runner.execute(options(), tx -> {
            work.run(tx);
            return null;
        });
    }
}
