package dev.warden.spring;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.ErrorKind;
import dev.warden.WardenException;
import dev.warden.internal.WardenInternals;
import dev.warden.internal.tx.ManagedTransactions;
import dev.warden.internal.tx.TxCounters;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.datasource.JdbcTransactionObjectSupport;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.DefaultTransactionStatus;

/**
 * Spring's {@link JdbcTransactionManager} (same propagation, isolation, read-only, timeouts,
 * savepoints, synchronisation and exception translation) with Warden's guarantees added:
 * <ul>
 *   <li>A transaction whose server side is aborted (a statement failed and the error was caught,
 *       SQLState 25P02) is rolled back at commit and reported with a
 *       {@link TransactionAbortedException}, never committed as a success. Read from pgjdbc's local
 *       state: no round trip.</li>
 *   <li>A connection lost while COMMIT was on the wire gives a {@link CommitOutcomeUnknownException}
 *       (the commit may or may not have been applied), which {@link WardenRetry} never retries; with
 *       {@code warden.tx.verify-commit=true} Warden's verifier first asks a fresh connection what became
 *       of it: committed is a success, aborted a connection failure {@link WardenRetry} may run again.</li>
 *   <li>COMMIT/ROLLBACK sent as SQL inside the transaction is refused before it is sent (connections of
 *       {@link WardenDataSource}), and a transaction that such a statement ended, or tried to, is rolled
 *       back at commit, never reported as one clean commit.</li>
 *   <li>No connection goes back to the pool broken or still inside a transaction: such a connection
 *       is evicted (Warden's DataSource) instead. A rollback that fails because the connection is
 *       gone does not hide the application's own exception: the server has discarded that transaction.</li>
 *   <li>Before READY a transaction waits on Warden's readiness gate (bounded) and then fails with
 *       Warden's own {@code NotReadyException}; in DEGRADED with {@code DatabaseUnavailableException}
 *       at once (not wrapped in {@link CannotCreateTransactionException}).</li>
 * </ul>
 * A 40001 or 40P01 answer to COMMIT is translated by Spring's translator (e.g. to a
 * {@code PessimisticLockingFailureException}) with the {@link SQLException} as its cause, so
 * {@link ErrorKind#of(Throwable)} still names it, and {@link WardenRetry} retries the unit of work.
 * Rollback on any throwable, checked exceptions included, is set by the auto-configuration for
 * {@code @Transactional} (Spring's own default rolls back on unchecked ones only).
 */
public class WardenTransactionManager extends JdbcTransactionManager {

    private static final Logger log = LoggerFactory.getLogger(WardenTransactionManager.class);

    /** A connection found dead in this thread's transaction: not rolled back again, evicted at clean-up. */
    private final ThreadLocal<Connection> broken = new ThreadLocal<>();
    /** Warden's counters (health report, metrics) when the DataSource is Warden's; else null. */
    private final TxCounters stats;
    /** {@code warden.tx.verify-commit} when the DataSource is Warden's; else null. */
    private final CommitVerification verification;

    /**
     * A manager on this DataSource; when it is a {@link WardenDataSource}, outcomes are counted in
     * Warden's health report and metrics ({@code warden.transactions}).
     */
    public WardenTransactionManager(DataSource dataSource) {
        super(dataSource);
        this.stats = dataSource instanceof WardenDataSource w ? WardenInternals.counters(w.warden()) : null;
        this.verification = CommitVerification.of(dataSource);
    }

    @Override
    protected void doBegin(Object transaction, TransactionDefinition definition) {
        RetryScope.beginning(definition.isReadOnly());
        try {
            super.doBegin(transaction, definition);
        } catch (CannotCreateTransactionException e) {
            if (e.getCause() instanceof WardenException refused) {
                throw refused; // NotReadyException or DatabaseUnavailableException, as the gate said it
            }
            throw e;
        } finally {
            RetryScope.begun();
        }
    }

    @Override
    protected void doCommit(DefaultTransactionStatus status) {
        Connection con = connection(status.getTransaction());
        String endedBySql = WardenInternals.endedBySql(con);
        if (endedBySql != null || CommitChecks.aborted(con)) {
            try {
                con.rollback();
            } catch (SQLException e) {
                broken.set(con);
            }
            if (stats != null) {
                stats.recordFailed(ErrorKind.UNKNOWN); // as Warden's own engine counts a swallowed error
            }
            throw endedBySql != null ? CommitChecks.endedBySql(status, endedBySql) : CommitChecks.abortedAtCommit(status);
        }
        ManagedTransactions.Ticket ticket;
        try {
            ticket = verification == null ? null : verification.ticket(con);
        } catch (SQLException e) {
            if (stats != null) {
                stats.recordFailed(ErrorKind.of(e)); // before COMMIT: Spring rolls back, nothing committed
            }
            throw translateException("JDBC commit", e);
        }
        try {
            con.commit();
            RetryScope.committed();
            if (stats != null) {
                stats.recordCommitted();
            }
        } catch (SQLException e) {
            ErrorKind kind = ErrorKind.of(e);
            if (kind == ErrorKind.CONNECTION) {
                broken.set(con);
                ManagedTransactions.Outcome outcome = CommitChecks.lostCommit(verification, ticket, e, status);
                if (outcome == ManagedTransactions.Outcome.COMMITTED) {
                    CommitChecks.committedAfterAll(stats);
                    return; // Spring goes on with afterCommit, as after any commit
                }
                if (outcome == ManagedTransactions.Outcome.UNKNOWN) {
                    if (stats != null) {
                        stats.recordCommitUnknown();
                    }
                    throw CommitChecks.unknownOutcome(status, e, e.getSQLState());
                }
                if (stats != null) {
                    stats.recordResolved();
                    stats.recordFailed(kind);
                }
                throw CommitChecks.abortedAfterAll(status, e); // known not to have committed
            }
            if (stats != null) {
                stats.recordFailed(kind); // the server answered COMMIT with an error: rolled back
            }
            throw translateException("JDBC commit", e);
        }
    }

    @Override
    protected void doRollback(DefaultTransactionStatus status) {
        Connection con = connection(status.getTransaction());
        if (broken.get() == con) {
            return; // already counted where it broke (or rolled back at commit)
        }
        if (stats != null) {
            stats.recordRolledBack();
        }
        try {
            con.rollback();
        } catch (SQLException e) {
            if (ErrorKind.of(e) == ErrorKind.CONNECTION || CommitChecks.closed(con)) {
                // The session is gone, and the server discards its open transaction with it. Throwing
                // here would replace the application's exception with this one.
                broken.set(con);
                log.debug("Rollback on a lost connection ({}); the connection is evicted", e.toString());
                return;
            }
            throw translateException("JDBC rollback", e);
        }
    }

    @Override
    protected void doCleanupAfterCompletion(Object transaction) {
        Connection con = connection(transaction);
        try {
            boolean evict = broken.get() == con;
            if (!evict && CommitChecks.notIdle(con)) {
                try {
                    con.rollback();
                } catch (SQLException e) {
                    evict = true;
                }
                evict = evict || CommitChecks.notIdle(con);
            }
            if (evict && getDataSource() instanceof WardenDataSource wds && wds.evict(con)) {
                log.debug("Evicted a connection that was broken or still inside a transaction");
            }
        } catch (SQLException | RuntimeException e) {
            log.debug("Could not check a connection before returning it: {}", e.toString());
        } finally {
            broken.remove();
            super.doCleanupAfterCompletion(transaction);
        }
    }

    private static Connection connection(Object transaction) {
        return ((JdbcTransactionObjectSupport) transaction).getConnectionHolder().getConnection();
    }
}
