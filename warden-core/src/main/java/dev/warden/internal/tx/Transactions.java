package dev.warden.internal.tx;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.ErrorKind;
import dev.warden.internal.CommitsOnTheWire;
import dev.warden.tx.Isolation;
import dev.warden.tx.RetryPolicy;
import dev.warden.tx.TransactionBuilder;
import dev.warden.tx.TxOptions;
import dev.warden.tx.TxWork;
import java.sql.Connection;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.core.TransactionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs units of work as transactions on a pool: commit exactly once when the work returns, roll back
 * when it throws, retry only what is safe to retry, classify every failure. Applications reach it
 * through {@code Warden.inTransaction} and {@code Warden.transaction()}; it is public so that the
 * other Warden modules can build one on their own pool.
 *
 * <p>Cost per transaction, compared with hand-written JDBC on the same pool: no statement at all
 * for the defaults (auto-commit is off in the pool, BEGIN is sent by the driver with the first
 * statement); one combined {@code SET TRANSACTION …; SET LOCAL …} only when a non-default isolation
 * or a timeout is asked for; a savepoint only when the work asks for one.
 */
public final class Transactions implements TransactionBuilder.Runner {

    private static final Logger log = LoggerFactory.getLogger(Transactions.class);
    private static final String DEFAULT_LABEL = "tx";
    /** How long a lost COMMIT's outcome is asked for by default ({@code WARDEN_TX_VERIFY_PATIENCE}). */
    static final Duration VERIFY_PATIENCE = Duration.ofSeconds(60);

    private final TxConnections connections;
    private final RetryPolicy defaultRetry;
    private final Isolation defaultIsolation;
    private final TxCounters stats;
    private volatile CommitVerifier verifier;
    private final boolean verifyCommitByDefault;
    private volatile String perTransaction = "";
    private final ThreadLocal<TxImpl<?>> current = new ThreadLocal<>();
    /** The options of {@link #inTransaction(TxWork)}: made once, not per transaction. */
    private final TxOptions defaults;
    /** Outermost transactions running now, retries and backoff included (for a draining close). */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * @param pool             where connections come from
     * @param evict            removes a connection that must not be reused (e.g. HikariDataSource::evictConnection)
     * @param defaultRetry     retry policy when a transaction sets none
     * @param defaultIsolation isolation when a transaction sets none
     * @param stats            where outcomes are counted
     */
    public Transactions(DataSource pool, Consumer<Connection> evict, RetryPolicy defaultRetry,
                        Isolation defaultIsolation, TxCounters stats) {
        this(pool, evict, defaultRetry, defaultIsolation, stats, new Verification(pool, false, VERIFY_PATIENCE));
    }

    /**
     * How a transaction whose COMMIT was lost with its connection finds out what became of it.
     *
     * @param from      where it gets the fresh connection that asks (a pool that reconnects, not one
     *                  that fails fast during an outage)
     * @param byDefault true to verify every transaction's commit ({@code WARDEN_TX_VERIFY_COMMIT})
     * @param patience  how long the outcome is asked for ({@code WARDEN_TX_VERIFY_PATIENCE})
     */
    public record Verification(DataSource from, boolean byDefault, Duration patience) {
        /** Checks that the source and the patience are there. */
        public Verification {
            Objects.requireNonNull(from, "verifyFrom");
            Objects.requireNonNull(patience, "verifyPatience");
        }

        /** With the default patience (60 s). */
        public Verification(DataSource from, boolean byDefault) {
            this(from, byDefault, VERIFY_PATIENCE);
        }
    }

    /**
     * Like {@link #Transactions(DataSource, Consumer, RetryPolicy, Isolation, TxCounters)}, with commit
     * verification.
     */
    public Transactions(DataSource pool, Consumer<Connection> evict, RetryPolicy defaultRetry,
                        Isolation defaultIsolation, TxCounters stats, Verification verification) {
        this.verifier = new CommitVerifier(verification.from(), verification.patience());
        this.verifyCommitByDefault = verification.byDefault();
        this.connections = new TxConnections(pool, evict);
        this.defaultRetry = Objects.requireNonNull(defaultRetry, "defaultRetry");
        this.defaultIsolation = Objects.requireNonNull(defaultIsolation, "defaultIsolation");
        this.stats = Objects.requireNonNull(stats, "stats");
        this.defaults = new TxOptions(false, defaultIsolation, null, defaultRetry, DEFAULT_LABEL, verifyCommitByDefault);
    }

    /**
     * Statements every transaction runs first (behind a transaction-mode pooler: {@code SET LOCAL}
     * of the statement timeout and search path, which cannot go in the start-up packet); empty for none.
     */
    public void perTransaction(String sql) {
        perTransaction = Objects.requireNonNull(sql, "sql");
    }

    /**
     * False when a pooler stands between Warden and the server ({@code WARDEN_POOLER}): a COMMIT
     * answered with the end of the session is then an unknown outcome, as any other lost COMMIT;
     * on a direct connection the server's own answer can show that it was not applied ({@link CommitAnswer}).
     */
    public void direct(boolean direct) {
        verifier = verifier.direct(direct);
    }

    /** Runs {@code work} in a transaction with the defaults; see {@link TransactionBuilder#call(TxWork)}. */
    public <T> T inTransaction(TxWork<T> work) {
        return execute(defaults, work);
    }

    /** Starts describing a transaction with options. */
    public TransactionBuilder transaction() {
        return new TransactionBuilder(this, defaults);
    }

    /** True when the calling thread is inside a transaction of this instance. */
    public boolean inTransactionNow() {
        return current.get() != null;
    }

    /** For tests: how long a lost COMMIT's outcome is asked for. */
    void verifyPatience(Duration patience) {
        verifier = verifier.withPatience(patience);
    }

    /**
     * What this engine lends to transactions another manager runs on the same pool (the Spring Boot
     * starter's): the SQL guard and the resolution of a lost COMMIT, with this instance's verifier
     * and {@code WARDEN_TX_VERIFY_COMMIT}.
     */
    public ManagedTransactions managed() {
        return new ManagedTransactions(verifier, verifyCommitByDefault);
    }

    /** The counters this instance updates. */
    public TxCounters stats() {
        return stats;
    }

    /** How many transactions are running now (outermost ones; from the first attempt to the last). */
    public int inFlight() {
        return inFlight.get();
    }

    @Override
    public <T> T execute(TxOptions options, TxWork<T> work) {
        Objects.requireNonNull(work, "work");
        TxImpl<?> outer = current.get();
        if (outer != null) {
            return join(outer, options, work);
        }
        inFlight.incrementAndGet();
        try {
            // one object for the whole transaction: the attempt, its translator, the state of each run
            TxImpl<T> tx = new TxImpl<>(this, options, work);
            return RetryLoop.run(options.retry(), stats, options.label(), tx, tx);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw TxFailures.rethrow(t, 1, options.label()); // not reached: the translator returns or throws unchecked
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** One attempt: a connection, the work, COMMIT; a failure goes to {@link RetryLoop} as a {@link RetryLoop.Failed}. */
    <T> T attempt(TxImpl<T> tx, int attempt) throws RetryLoop.Failed {
        TxOptions options = tx.options;
        boolean readOnly = options.readOnly();
        String label = options.label();
        Connection conn = null;
        boolean started = false;
        boolean commitSent = false;
        boolean broken = false;
        boolean poolTimedOut = false;
        CommitVerifier.Ticket ticket = null;
        WireCommit wire = null;
        T result = null;
        try {
            try {
                conn = connections.take();
            } catch (SQLTransientConnectionException e) {
                // Every connection stayed busy for the whole acquire timeout: waiting that long
                // again per retry would multiply the caller's wait, so this is reported at once.
                poolTimedOut = true;
                throw e;
            }
            tx.start(conn, connections.pgjdbc(conn), attempt);
            started = true;
            TxConnections.begin(conn, readOnly, options.isolation(), options.timeout(), perTransaction);
            current.set(tx);
            result = tx.work.run(tx);
            // set(null), not remove(): remove() would make the next set() allocate a new map entry
            current.set(null);
            if (tx.innerFailure != null) {
                throw TxFailures.innerFailed(tx.innerFailure, attempt, label);
            }
            String ended = tx.endedBySql();
            if (ended != null) {
                // Caught by the work: the statement that ended the transaction already threw once.
                throw TxFailures.endedBySql(ended, attempt, label);
            }
            if (failedState(tx)) {
                // The work caught a statement's error and returned: the server has aborted the
                // transaction, and a COMMIT would silently roll back what looks like success.
                throw TxFailures.caughtInside(attempt, label);
            }
            if (tx.rollbackOnly) {
                conn.rollback();
                stats.recordRolledBack();
                return result;
            }
            if (options.verifyCommit()) {
                ticket = CommitVerifier.ticket(conn);
            }
            commitSent = true;
            CommitsOnTheWire.sent(tx.pg);
            try {
                // on a direct connection, through WireCommit, which reads the answer; else pgjdbc's commit()
                if (verifier.direct() && tx.pg != null && !tx.pg.getAutoCommit()) {
                    wire = new WireCommit(); // reads the answer: CommandComplete or not (WireCommit)
                    wire.commit(tx.pg);
                } else {
                    conn.commit();
                }
            } finally {
                CommitsOnTheWire.answered(tx.pg);
            }
            stats.recordCommitted();
            tx.runAfterCommit();
            return result;
        } catch (Throwable t) {
            current.set(null);
            ErrorKind kind = RetryLoop.kindOf(t, readOnly);
            if (commitSent && kind == ErrorKind.CONNECTION) {
                // The connection died with COMMIT on the wire: it may have been applied or not.
                broken = true;
                CommitVerifier.Outcome outcome = verifier.answered(t, wire);
                boolean fromAnswer = outcome != CommitVerifier.Outcome.UNKNOWN; // the server's answer settled it
                if (!fromAnswer && ticket != null) {
                    outcome = verifier.resolve(ticket, label);
                }
                if (outcome == CommitVerifier.Outcome.COMMITTED) {
                    if (fromAnswer) {
                        log.info("Transaction '{}': committed; the server ended the session right after ({})", label,
                                t.getMessage());
                    }
                    stats.recordResolved();
                    stats.recordCommitted();
                    tx.runAfterCommit();
                    return result;
                }
                if (outcome == CommitVerifier.Outcome.UNKNOWN) {
                    stats.recordCommitUnknownOnly();
                    log.warn("Transaction '{}': connection lost during COMMIT, outcome unknown ({})", label,
                            t.toString());
                    throw new RetryLoop.Failed(new CommitOutcomeUnknownException("Transaction '" + label
                            + "': the connection failed while COMMIT was sent, so it may or may not have been applied"
                            + (ticket == null ? "" : ", and no server could tell (transaction id " + ticket.xid()
                            + ")") + ". It is not retried; check the data (or make the work idempotent) before"
                            + " running it again. Cause: " + t.getMessage(), TxFailures.sqlState(t), attempt, label, t),
                            kind, false);
                }
                // ABORTED: known not to have committed, so as safe to retry as a failure before COMMIT.
                if (fromAnswer) {
                    log.info("Transaction '{}': the server ended the session before applying its COMMIT ({});"
                            + " it may run again", label, t.getMessage());
                }
                stats.recordResolved();
                conn = connections.release(conn, true);
            }
            if (!started && tx.lastRan != null) {
                // This retry was refused before it ran, but an earlier attempt ran: that is what
                // happened to the work, and the caller must not read "refused, nothing ran".
                throw new RetryLoop.Failed(TxFailures.ranThenRefused(tx.lastRan, t, attempt, label), ErrorKind.of(tx.lastRan),
                        false);
            }
            if (conn != null && !commitSent) {
                broken = !TxConnections.rollbackQuietly(conn, t);
            }
            if (started) {
                tx.lastRan = t;
            }
            // A connection-level fault (lost, or pointing at a read-only server) is never pooled again.
            broken |= kind == ErrorKind.CONNECTION;
            // A COMMIT that the server answered with an error (40001, 40P01, 23xxx…) has rolled back:
            // the outcome is known, so a transient kind is as safe to retry as before COMMIT.
            // An unknown outcome anywhere in the chain (a nested Warden's) is never run again (RetryLoop).
            throw new RetryLoop.Failed(t, kind, !poolTimedOut);
        } finally {
            if (conn != null) {
                connections.release(conn, broken);
            }
        }
    }

    private <T> T join(TxImpl<?> outer, TxOptions options, TxWork<T> work) {
        String label = options.label();
        Isolation isolation = options.isolation();
        if (!options.readOnly() && outer.readOnly()) {
            throw new IllegalStateException("Transaction '" + label + "' wants to write but joins the read-only"
                    + " transaction '" + outer.label() + "'; start the outer one read-write.");
        }
        if (isolation != Isolation.DEFAULT && isolation != outer.isolation() && isolation != defaultIsolation) {
            throw new IllegalStateException("Transaction '" + label + "' asks for isolation " + isolation
                    + " but joins '" + outer.label() + "' running at " + outer.isolation()
                    + "; set the isolation on the outer transaction.");
        }
        if (options.timeout() != null) {
            throw new IllegalStateException("Transaction '" + label + "' sets a timeout but joins '" + outer.label()
                    + "'; set the timeout on the outer transaction.");
        }
        try {
            return work.run(outer);
        } catch (Throwable t) {
            if (outer.innerFailure == null) {
                outer.innerFailure = t;
            }
            throw TxFailures.rethrow(t, outer.attempt(), label);
        }
    }

    private static boolean failedState(TxImpl<?> tx) {
        return tx.pg != null && tx.pg.getTransactionState() == TransactionState.FAILED;
    }
}
