package dev.warden.internal.tx;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.ErrorKind;
import dev.warden.TransactionException;
import dev.warden.internal.CommitsOnTheWire;
import dev.warden.tx.Isolation;
import dev.warden.tx.RetryPolicy;
import dev.warden.tx.TransactionBuilder;
import dev.warden.tx.TxOptions;
import dev.warden.tx.TxWork;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.core.BaseConnection;
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

    private final DataSource pool;
    private final Consumer<Connection> evict;
    private final RetryPolicy defaultRetry;
    private final Isolation defaultIsolation;
    private final TxCounters stats;
    private volatile CommitVerifier verifier;
    private final boolean verifyCommitByDefault;
    private volatile String perTransaction = "";
    private final ThreadLocal<TxImpl> current = new ThreadLocal<>();
    /** Outermost transactions running now, retries and backoff included (for a draining close). */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    /** Null until the first connection says whether it is pgjdbc (whose state can be read locally). */
    private volatile Boolean pgjdbc;

    /**
     * @param pool             where connections come from
     * @param evict            removes a connection that must not be reused (e.g. HikariDataSource::evictConnection)
     * @param defaultRetry     retry policy when a transaction sets none
     * @param defaultIsolation isolation when a transaction sets none
     * @param stats            where outcomes are counted
     */
    public Transactions(DataSource pool, Consumer<Connection> evict, RetryPolicy defaultRetry,
                        Isolation defaultIsolation, TxCounters stats) {
        this(pool, evict, defaultRetry, defaultIsolation, stats, pool, false);
    }

    /**
     * Like {@link #Transactions(DataSource, Consumer, RetryPolicy, Isolation, TxCounters)}, with commit
     * verification.
     *
     * @param verifyFrom            where a transaction whose COMMIT was lost gets the fresh connection
     *                              that asks what became of it (a pool that reconnects, not one that
     *                              fails fast during an outage)
     * @param verifyCommitByDefault true to verify every transaction's commit ({@code WARDEN_TX_VERIFY_COMMIT})
     */
    public Transactions(DataSource pool, Consumer<Connection> evict, RetryPolicy defaultRetry,
                        Isolation defaultIsolation, TxCounters stats, DataSource verifyFrom,
                        boolean verifyCommitByDefault) {
        this(pool, evict, defaultRetry, defaultIsolation, stats, verifyFrom, verifyCommitByDefault, VERIFY_PATIENCE);
    }

    /**
     * Like {@link #Transactions(DataSource, Consumer, RetryPolicy, Isolation, TxCounters, DataSource, boolean)},
     * with how long a lost COMMIT's outcome is asked for ({@code WARDEN_TX_VERIFY_PATIENCE}).
     */
    public Transactions(DataSource pool, Consumer<Connection> evict, RetryPolicy defaultRetry,
                        Isolation defaultIsolation, TxCounters stats, DataSource verifyFrom,
                        boolean verifyCommitByDefault, Duration verifyPatience) {
        this.verifier = new CommitVerifier(Objects.requireNonNull(verifyFrom, "verifyFrom"),
                Objects.requireNonNull(verifyPatience, "verifyPatience"));
        this.verifyCommitByDefault = verifyCommitByDefault;
        this.pool = Objects.requireNonNull(pool, "pool");
        this.evict = Objects.requireNonNull(evict, "evict");
        this.defaultRetry = Objects.requireNonNull(defaultRetry, "defaultRetry");
        this.defaultIsolation = Objects.requireNonNull(defaultIsolation, "defaultIsolation");
        this.stats = Objects.requireNonNull(stats, "stats");
    }

    /**
     * Statements every transaction runs first (behind a transaction-mode pooler: {@code SET LOCAL}
     * of the statement timeout and search path, which cannot go in the start-up packet); empty for none.
     */
    public void perTransaction(String sql) {
        perTransaction = Objects.requireNonNull(sql, "sql");
    }

    /** Runs {@code work} in a transaction with the defaults; see {@link TransactionBuilder#call(TxWork)}. */
    public <T> T inTransaction(TxWork<T> work) {
        return execute(false, defaultIsolation, null, defaultRetry, DEFAULT_LABEL, verifyCommitByDefault, work);
    }

    /** Starts describing a transaction with options. */
    public TransactionBuilder transaction() {
        return new TransactionBuilder(this, new TxOptions(false, defaultIsolation, null, defaultRetry, DEFAULT_LABEL,
                verifyCommitByDefault));
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
        return execute(options.readOnly(), options.isolation(), options.timeout(), options.retry(), options.label(),
                options.verifyCommit(), work);
    }

    private <T> T execute(boolean readOnly, Isolation isolation, Duration timeout, RetryPolicy retry, String label,
                  boolean verifyCommit, TxWork<T> work) {
        Objects.requireNonNull(work, "work");
        TxImpl outer = current.get();
        if (outer != null) {
            return join(outer, readOnly, isolation, timeout, label, work);
        }
        inFlight.incrementAndGet();
        try {
            return attempts(readOnly, isolation, timeout, retry, label, verifyCommit, work);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private <T> T attempts(boolean readOnly, Isolation isolation, Duration timeout, RetryPolicy retry, String label,
                           boolean verifyCommit, TxWork<T> work) {
        // the failure of the last attempt that got a connection and ran the work
        Throwable[] ran = new Throwable[1];
        try {
            return RetryLoop.run(retry, stats, label,
                    attempt -> attempt(readOnly, isolation, timeout, label, verifyCommit, work, attempt, ran),
                    (t, kind, attempts) -> rethrow(t, kind, attempts, label));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t, 1, label); // not reached: the translator above returns or throws unchecked
        }
    }

    /** One attempt: a connection, the work, COMMIT; a failure goes to {@link RetryLoop} as a {@link RetryLoop.Failed}. */
    private <T> T attempt(boolean readOnly, Isolation isolation, Duration timeout, String label, boolean verifyCommit,
                          TxWork<T> work, int attempt, Throwable[] ran) throws RetryLoop.Failed {
        Connection conn = null;
        TxImpl tx = null;
        boolean commitSent = false;
        boolean broken = false;
        boolean poolTimedOut = false;
        CommitVerifier.Ticket ticket = null;
        T result = null;
        try {
            try {
                conn = pool.getConnection();
            } catch (SQLTransientConnectionException e) {
                // Every connection stayed busy for the whole acquire timeout: waiting that long
                // again per retry would multiply the caller's wait, so this is reported at once.
                poolTimedOut = true;
                throw e;
            }
            tx = new TxImpl(conn, pgjdbc(conn), readOnly, isolation, attempt, label);
            begin(conn, readOnly, isolation, timeout, perTransaction);
            current.set(tx);
            result = work.run(tx);
            // set(null), not remove(): remove() would make the next set() allocate a new map entry
            current.set(null);
            if (tx.innerFailure != null) {
                throw new TransactionException("Transaction '" + label + "' rolled back: a call that joined it"
                        + " failed, and committing the rest would half-apply the work. Cause: "
                        + tx.innerFailure, ErrorKind.of(tx.innerFailure), sqlState(tx.innerFailure), attempt,
                        label, tx.innerFailure);
            }
            String ended = tx.endedBySql();
            if (ended != null) {
                // Caught by the work: the statement that ended the transaction already threw once.
                throw new TransactionException("Transaction '" + label + "' is broken: " + ended + ". What ran"
                        + " before that statement may be committed; the rest is rolled back. Return from the work"
                        + " to commit, throw to roll back.", ErrorKind.UNKNOWN, null, attempt, label, null);
            }
            if (failedState(tx)) {
                // The work caught a statement's error and returned: the server has aborted the
                // transaction, and a COMMIT would silently roll back what looks like success.
                throw new TransactionException("Transaction '" + label + "' rolled back: a statement failed"
                        + " inside the work and its error was caught, so the server aborted the transaction"
                        + " (SQLState 25P02). Let the error propagate, or use tx.savepoint(…) to recover"
                        + " from an expected failure.", ErrorKind.UNKNOWN, "25P02", attempt, label, null);
            }
            if (tx.rollbackOnly) {
                conn.rollback();
                stats.recordRolledBack();
                return result;
            }
            if (verifyCommit) {
                ticket = CommitVerifier.ticket(conn);
            }
            commitSent = true;
            CommitsOnTheWire.sent(tx.pg);
            try {
                conn.commit();
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
                CommitVerifier.Outcome outcome = ticket == null ? CommitVerifier.Outcome.UNKNOWN
                        : verifier.resolve(ticket, label);
                if (outcome == CommitVerifier.Outcome.COMMITTED) {
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
                            + " running it again. Cause: " + t.getMessage(), sqlState(t), attempt, label, t),
                            kind, false);
                }
                // ABORTED: known not to have committed, so as safe to retry as a failure before COMMIT.
                stats.recordResolved();
                conn = release(conn, true);
            }
            if (tx == null && ran[0] != null) {
                // This retry was refused before it ran, but an earlier attempt ran: that is what
                // happened to the work, and the caller must not read "refused, nothing ran".
                throw new RetryLoop.Failed(ranThenRefused(ran[0], t, attempt, label), ErrorKind.of(ran[0]), false);
            }
            if (conn != null && !commitSent) {
                broken = !rollbackQuietly(conn, t);
            }
            if (tx != null) {
                ran[0] = t;
            }
            // A connection-level fault (lost, or pointing at a read-only server) is never pooled again.
            broken |= kind == ErrorKind.CONNECTION;
            // A COMMIT that the server answered with an error (40001, 40P01, 23xxx…) has rolled back:
            // the outcome is known, so a transient kind is as safe to retry as before COMMIT.
            // An unknown outcome anywhere in the chain (a nested Warden's) is never run again (RetryLoop).
            throw new RetryLoop.Failed(t, kind, !poolTimedOut);
        } finally {
            if (conn != null) {
                release(conn, broken);
            }
        }
    }

    private <T> T join(TxImpl outer, boolean readOnly, Isolation isolation, Duration timeout, String label,
                       TxWork<T> work) {
        if (!readOnly && outer.readOnly) {
            throw new IllegalStateException("Transaction '" + label + "' wants to write but joins the read-only"
                    + " transaction '" + outer.label() + "'; start the outer one read-write.");
        }
        if (isolation != Isolation.DEFAULT && isolation != outer.isolation && isolation != defaultIsolation) {
            throw new IllegalStateException("Transaction '" + label + "' asks for isolation " + isolation
                    + " but joins '" + outer.label() + "' running at " + outer.isolation
                    + "; set the isolation on the outer transaction.");
        }
        if (timeout != null) {
            throw new IllegalStateException("Transaction '" + label + "' sets a timeout but joins '" + outer.label()
                    + "'; set the timeout on the outer transaction.");
        }
        try {
            return work.run(outer);
        } catch (Throwable t) {
            if (outer.innerFailure == null) {
                outer.innerFailure = t;
            }
            throw rethrow(t, outer.attempt(), label);
        }
    }

    private static void begin(Connection conn, boolean readOnly, Isolation isolation, Duration timeout,
                              String perTransaction) throws SQLException {
        if (conn.getAutoCommit()) {
            conn.setAutoCommit(false); // local to the driver: BEGIN goes out with the first statement
        }
        if (readOnly) {
            conn.setReadOnly(true); // pgjdbc sends BEGIN READ ONLY, no extra statement
        }
        if (isolation != Isolation.DEFAULT || timeout != null || !perTransaction.isEmpty()) {
            StringBuilder sql = new StringBuilder(80);
            if (isolation != Isolation.DEFAULT) {
                // Per transaction, unlike setTransactionIsolation: nothing to reset when the connection goes back.
                sql.append("SET TRANSACTION ISOLATION LEVEL ").append(isolation.sql());
            }
            if (!perTransaction.isEmpty()) {
                // SET TRANSACTION must come first; a later SET LOCAL statement_timeout (the
                // transaction's own timeout) wins over the default one set here.
                if (!sql.isEmpty()) {
                    sql.append("; ");
                }
                sql.append(perTransaction);
            }
            if (timeout != null) {
                if (!sql.isEmpty()) {
                    sql.append("; ");
                }
                sql.append("SET LOCAL statement_timeout = ").append(Math.max(1, timeout.toMillis()));
            }
            try (Statement st = conn.createStatement()) {
                st.execute(sql.toString());
            }
        }
    }

    /** Rolls back; returns false when the connection could not do it and must not be reused. */
    private static boolean rollbackQuietly(Connection conn, Throwable cause) {
        try {
            conn.rollback();
            return true;
        } catch (SQLException | RuntimeException e) {
            cause.addSuppressed(e);
            return false;
        }
    }

    /**
     * Returns the connection to the pool, or evicts it when it is broken or (pgjdbc) still inside a
     * transaction: a connection never goes back in an aborted state (25P02) for the next user.
     */
    private Connection release(Connection conn, boolean broken) {
        if (conn == null) {
            return null;
        }
        try {
            if (!broken && notIdle(conn)) {
                broken = !rollbackQuietly(conn, new SQLException("cleanup")) || notIdle(conn);
            }
            if (broken) {
                evict.accept(conn);
            } else {
                conn.close();
            }
        } catch (SQLException | RuntimeException e) {
            log.debug("Could not return a connection to the pool: {}", e.toString());
        }
        return null;
    }

    private boolean notIdle(Connection conn) throws SQLException {
        BaseConnection pg = pgjdbc(conn);
        return pg != null && pg.getTransactionState() != TransactionState.IDLE;
    }

    private static boolean failedState(TxImpl tx) {
        return tx.pg != null && tx.pg.getTransactionState() == TransactionState.FAILED;
    }

    /** The driver's connection when it is pgjdbc (whose transaction state is known locally), else null. */
    private BaseConnection pgjdbc(Connection conn) throws SQLException {
        Boolean pg = pgjdbc;
        if (pg == null) {
            pg = pgjdbc = conn.isWrapperFor(BaseConnection.class);
        }
        return pg ? conn.unwrap(BaseConnection.class) : null;
    }

    /** Causes looked at, at most: a chain with a cycle ends. */
    private static final int MAX_CAUSES = 64;

    static String sqlState(Throwable error) {
        return ErrorKind.sqlState(error);
    }

    /** An attempt ran and failed, and the retry could not get a connection: both, in that order. */
    private static TransactionException ranThenRefused(Throwable ran, Throwable refusal, int attempt, String label) {
        ran.addSuppressed(refusal);
        ErrorKind kind = ErrorKind.of(ran);
        String state = sqlState(ran);
        String why = String.valueOf(ran.getMessage());
        while (why.endsWith(".")) {
            why = why.substring(0, why.length() - 1);
        }
        String refused = "it could not get a connection";
        for (Throwable c = refusal; c != null && c != c.getCause(); c = c.getCause()) {
            if (c instanceof dev.warden.DatabaseUnavailableException du) {
                refused = "the database is unreachable (since " + du.since() + ")";
                break;
            }
        }
        return new TransactionException("Transaction '" + label + "' ran and failed (" + kind
                + (state == null ? "" : ", SQLState " + state) + "): " + why + ". It was not committed;"
                + " the retry (attempt " + attempt + ") was refused before it ran: " + refused + ".",
                kind, state, attempt - 1, label, ran);
    }

    /** Unchecked errors go out as they are; checked ones are wrapped once in a {@link TransactionException}. */
    static RuntimeException rethrow(Throwable t, int attempts, String label) {
        return rethrow(t, ErrorKind.of(t), attempts, label);
    }

    static RuntimeException rethrow(Throwable t, ErrorKind kind, int attempts, String label) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return wrap("Transaction '" + label + "' failed", t, kind, attempts, label);
    }

    static TransactionException wrap(String what, Throwable t, int attempts, String label) {
        return wrap(what, t, ErrorKind.of(t), attempts, label);
    }

    static TransactionException wrap(String what, Throwable t, ErrorKind kind, int attempts, String label) {
        String state = sqlState(t);
        String detail = "25P02".equals(state)
                ? "it was rolled back because an earlier statement failed and its error was caught inside the work"
                : t.getMessage();
        return new TransactionException(what + " (" + kind + (state == null ? "" : ", SQLState " + state)
                + (attempts > 1 ? ", after " + attempts + " attempts" : "") + "): " + detail, kind, state, attempts,
                label, t);
    }
}
