package dev.warden.tx;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
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
public final class Transactions {

    private static final Logger log = LoggerFactory.getLogger(Transactions.class);
    private static final String DEFAULT_LABEL = "tx";

    private final DataSource pool;
    private final Consumer<Connection> evict;
    private final RetryPolicy defaultRetry;
    private final Isolation defaultIsolation;
    private final TxStats stats;
    private final ThreadLocal<TxImpl> current = new ThreadLocal<>();
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
                        Isolation defaultIsolation, TxStats stats) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.evict = Objects.requireNonNull(evict, "evict");
        this.defaultRetry = Objects.requireNonNull(defaultRetry, "defaultRetry");
        this.defaultIsolation = Objects.requireNonNull(defaultIsolation, "defaultIsolation");
        this.stats = Objects.requireNonNull(stats, "stats");
    }

    /** Runs {@code work} in a transaction with the defaults; see {@link TransactionBuilder#call(TxWork)}. */
    public <T> T inTransaction(TxWork<T> work) {
        return execute(false, defaultIsolation, null, defaultRetry, DEFAULT_LABEL, work);
    }

    /** Starts describing a transaction with options. */
    public TransactionBuilder transaction() {
        return new TransactionBuilder(this, defaultIsolation, defaultRetry, DEFAULT_LABEL);
    }

    /** True when the calling thread is inside a transaction of this instance. */
    public boolean inTransactionNow() {
        return current.get() != null;
    }

    /** The counters this instance updates. */
    public TxStats stats() {
        return stats;
    }

    <T> T execute(boolean readOnly, Isolation isolation, Duration timeout, RetryPolicy retry, String label,
                  TxWork<T> work) {
        Objects.requireNonNull(work, "work");
        TxImpl outer = current.get();
        if (outer != null) {
            return join(outer, readOnly, isolation, timeout, label, work);
        }
        Throwable ran = null; // the failure of the last attempt that got a connection and ran the work
        for (int attempt = 1; ; attempt++) {
            Connection conn = null;
            TxImpl tx = null;
            boolean commitSent = false;
            boolean broken = false;
            boolean poolTimedOut = false;
            try {
                try {
                    conn = pool.getConnection();
                } catch (SQLTransientConnectionException e) {
                    // Every connection stayed busy for the whole acquire timeout: waiting that long
                    // again per retry would multiply the caller's wait, so this is reported at once.
                    poolTimedOut = true;
                    throw e;
                }
                tx = new TxImpl(conn, readOnly, isolation, attempt, label);
                begin(conn, readOnly, isolation, timeout);
                current.set(tx);
                T result = work.run(tx);
                // set(null), not remove(): remove() would make the next set() allocate a new map entry
                current.set(null);
                if (tx.innerFailure != null) {
                    throw new TransactionException("Transaction '" + label + "' rolled back: a call that joined it"
                            + " failed, and committing the rest would half-apply the work. Cause: "
                            + tx.innerFailure, ErrorKind.of(tx.innerFailure), sqlState(tx.innerFailure), attempt,
                            label, tx.innerFailure);
                }
                if (failedState(conn)) {
                    // The work caught a statement's error and returned: the server has aborted the
                    // transaction, and a COMMIT would silently roll back what looks like success.
                    throw new TransactionException("Transaction '" + label + "' rolled back: a statement failed"
                            + " inside the work and its error was caught, so the server aborted the transaction"
                            + " (SQLState 25P02). Let the error propagate, or use tx.savepoint(…) to recover"
                            + " from an expected failure.", ErrorKind.UNKNOWN, "25P02", attempt, label, null);
                }
                if (tx.rollbackOnly) {
                    conn.rollback();
                    stats.rolledBackOnRequest();
                    return result;
                }
                commitSent = true;
                conn.commit();
                stats.committed();
                tx.runAfterCommit();
                return result;
            } catch (Throwable t) {
                current.set(null);
                ErrorKind kind = ErrorKind.of(t);
                if (commitSent && kind == ErrorKind.CONNECTION) {
                    // The connection died with COMMIT on the wire: it may have been applied or not.
                    stats.commitUnknown();
                    stats.failed(kind);
                    broken = true;
                    log.warn("Transaction '{}': connection lost during COMMIT, outcome unknown ({})", label, t.toString());
                    throw new CommitOutcomeUnknownException("Transaction '" + label + "': the connection failed while"
                            + " COMMIT was sent, so it may or may not have been applied. It is not retried; check the"
                            + " data (or make the work idempotent) before running it again. Cause: " + t.getMessage(),
                            sqlState(t), attempt, label, t);
                }
                if (conn == null && ran != null) {
                    // This retry was refused before it ran, but an earlier attempt ran: that is what
                    // happened to the work, and the caller must not read "refused, nothing ran".
                    stats.failed(ErrorKind.of(ran));
                    throw ranThenRefused(ran, t, attempt, label);
                }
                if (conn != null && !commitSent) {
                    broken = !rollbackQuietly(conn, t);
                }
                // A COMMIT that the server answered with an error (40001, 40P01, 23xxx…) has rolled back:
                // the outcome is known, so a transient kind is as safe to retry as before COMMIT.
                if (kind.isRetryable() && !poolTimedOut && attempt < retry.maxAttempts() && !(t instanceof InterruptedException)
                        && !Thread.currentThread().isInterrupted()) {
                    stats.retried();
                    if (conn != null) {
                        ran = t;
                    }
                    release(conn, broken || kind == ErrorKind.CONNECTION);
                    conn = null;
                    long pause = retry.backoffNanos(attempt);
                    if (log.isDebugEnabled()) {
                        log.debug("Transaction '{}' attempt {} failed ({}: {}); retrying in {} µs", label, attempt,
                                kind, t.getMessage(), pause / 1000);
                    }
                    if (!pause(pause)) {
                        t.addSuppressed(new InterruptedException("interrupted while waiting to retry"));
                        stats.failed(kind);
                        throw rethrow(t, attempt, label);
                    }
                    continue;
                }
                stats.failed(kind);
                throw rethrow(t, attempt, label);
            } finally {
                if (conn != null) {
                    release(conn, broken);
                }
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

    private static void begin(Connection conn, boolean readOnly, Isolation isolation, Duration timeout)
            throws SQLException {
        if (conn.getAutoCommit()) {
            conn.setAutoCommit(false); // local to the driver: BEGIN goes out with the first statement
        }
        if (readOnly) {
            conn.setReadOnly(true); // pgjdbc sends BEGIN READ ONLY, no extra statement
        }
        if (isolation != Isolation.DEFAULT || timeout != null) {
            StringBuilder sql = new StringBuilder(80);
            if (isolation != Isolation.DEFAULT) {
                // Per transaction, unlike setTransactionIsolation: nothing to reset when the connection goes back.
                sql.append("SET TRANSACTION ISOLATION LEVEL ").append(isolation.sql());
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
    private void release(Connection conn, boolean broken) {
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
    }

    private boolean notIdle(Connection conn) throws SQLException {
        BaseConnection pg = pgjdbc(conn);
        return pg != null && pg.getTransactionState() != TransactionState.IDLE;
    }

    private boolean failedState(Connection conn) throws SQLException {
        BaseConnection pg = pgjdbc(conn);
        return pg != null && pg.getTransactionState() == TransactionState.FAILED;
    }

    /** The driver's connection when it is pgjdbc (whose transaction state is known locally), else null. */
    private BaseConnection pgjdbc(Connection conn) throws SQLException {
        Boolean pg = pgjdbc;
        if (pg == null) {
            pg = pgjdbc = conn.isWrapperFor(BaseConnection.class);
        }
        return pg ? conn.unwrap(BaseConnection.class) : null;
    }

    /** Sleeps without losing the interrupt; returns false when interrupted. */
    private static boolean pause(long nanos) {
        long deadline = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
        }
        return true;
    }

    static String sqlState(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
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
            if (c instanceof dev.warden.lifecycle.DatabaseUnavailableException du) {
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
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return wrap("Transaction '" + label + "' failed", t, attempts, label);
    }

    static TransactionException wrap(String what, Throwable t, int attempts, String label) {
        ErrorKind kind = ErrorKind.of(t);
        String state = sqlState(t);
        String detail = "25P02".equals(state)
                ? "it was rolled back because an earlier statement failed and its error was caught inside the work"
                : t.getMessage();
        return new TransactionException(what + " (" + kind + (state == null ? "" : ", SQLState " + state)
                + (attempts > 1 ? ", after " + attempts + " attempts" : "") + "): " + detail, kind, state, attempts,
                label, t);
    }
}
