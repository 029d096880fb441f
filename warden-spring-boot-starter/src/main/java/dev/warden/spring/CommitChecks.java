package dev.warden.spring;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.internal.tx.ManagedTransactions;
import dev.warden.internal.tx.TxCounters;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionSynchronizationUtils;

/**
 * What Warden's two Spring transaction managers ({@link WardenTransactionManager} for JDBC,
 * {@link WardenJpaTransactionManager} for JPA) check and say alike: the server's transaction state read
 * from pgjdbc (no round trip), a transaction aborted on the server (25P02), a transaction that a
 * statement ended with SQL, and a COMMIT whose outcome is unknown or was resolved.
 */
final class CommitChecks {

    private static final Logger log = LoggerFactory.getLogger(CommitChecks.class);

    private CommitChecks() {
    }

    /** True when the server has aborted the transaction (a statement failed and its error was caught). */
    static boolean aborted(Connection con) {
        try {
            BaseConnection pg = pg(con);
            return pg != null && pg.getTransactionState() == TransactionState.FAILED;
        } catch (SQLException e) {
            return false; // the commit will tell
        }
    }

    /** True when the connection is closed or still inside a transaction: it must not go back to the pool. */
    static boolean notIdle(Connection con) throws SQLException {
        if (con.isClosed()) {
            return true;
        }
        BaseConnection pg = pg(con);
        return pg != null && pg.getTransactionState() != TransactionState.IDLE;
    }

    /** True when the connection is gone (or cannot say). */
    static boolean closed(Connection con) {
        try {
            return con == null || con.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    private static BaseConnection pg(Connection con) throws SQLException {
        return con != null && con.isWrapperFor(BaseConnection.class) ? con.unwrap(BaseConnection.class) : null;
    }

    /** The transaction's name as Warden's own log lines show a label (they quote it). */
    static String label(DefaultTransactionStatus status) {
        String n = status.getTransactionName();
        return n == null || n.isEmpty() ? "(unnamed)" : n;
    }

    /** The transaction's name as messages show it. */
    static String name(DefaultTransactionStatus status) {
        String n = status.getTransactionName();
        return n == null || n.isEmpty() ? "(unnamed)" : "'" + n + "'";
    }

    /** The exception for a transaction rolled back at commit because the server had aborted it. */
    static TransactionAbortedException abortedAtCommit(DefaultTransactionStatus status) {
        return new TransactionAbortedException("Transaction " + name(status) + " rolled back instead of"
                + " committed: a statement failed inside it and its error was caught, so the server aborted"
                + " the transaction (SQLState 25P02). Let the error propagate, or use a savepoint"
                + " (Propagation.NESTED) to recover from an expected failure.");
    }

    /**
     * The exception for a transaction rolled back at commit because a statement ended it, or tried to,
     * with SQL (COMMIT, ROLLBACK, … refused or caught by Warden's guard, and the error caught by the work).
     */
    static UnexpectedRollbackException endedBySql(DefaultTransactionStatus status, String why) {
        return new UnexpectedRollbackException("Transaction " + name(status) + " is broken: " + why + ". What ran"
                + " before that statement may be committed; the rest is rolled back. Return from the transactional"
                + " method to commit, throw to roll back.");
    }

    /**
     * What became of a transaction whose COMMIT failed with its connection: asked about when a ticket
     * was read before it ({@code warden.tx.verify-commit}), else what the failure itself says; unknown
     * on a data source that is not Warden's ({@code verification} null).
     */
    static ManagedTransactions.Outcome lostCommit(CommitVerification verification, ManagedTransactions.Ticket ticket,
                                                  Throwable failure, DefaultTransactionStatus status) {
        if (ticket != null) {
            return verification.resolve(ticket, label(status));
        }
        return verification != null ? verification.answered(failure) : ManagedTransactions.Outcome.UNKNOWN;
    }

    /** A lost COMMIT that Warden's verifier found committed: counted, and the unit of work is not run again. */
    static void committedAfterAll(TxCounters stats) {
        RetryScope.committed();
        if (stats != null) {
            stats.recordResolved();
            stats.recordCommitted();
        }
    }

    /**
     * A lost COMMIT that Warden's verifier found aborted: nothing of it is in the database, so it is a
     * connection failure before COMMIT as far as {@link WardenRetry} goes (its kind is CONNECTION).
     */
    static DataAccessResourceFailureException abortedAfterAll(DefaultTransactionStatus status, Throwable cause) {
        return new DataAccessResourceFailureException("Transaction " + name(status) + ": the connection failed"
                + " while COMMIT was sent, and Warden's verifier found that it did not commit (aborted): nothing of"
                + " it is in the database. Cause: " + cause.getMessage(), cause);
    }

    /**
     * A connection lost while COMMIT was on the wire: logged once, synchronisations told
     * {@code STATUS_UNKNOWN}, and the exception to throw.
     */
    static CommitOutcomeUnknownException unknownOutcome(DefaultTransactionStatus status, Throwable cause,
                                                        String sqlState) {
        log.warn("Transaction {}: connection lost during COMMIT, outcome unknown ({})", name(status), cause.toString());
        tellSynchronizations(status);
        return new CommitOutcomeUnknownException("Transaction " + name(status) + ": the connection failed while"
                + " COMMIT was sent, so it may or may not have been applied. It is not retried; check the data (or"
                + " make the work idempotent) before running it again. Cause: " + cause.getMessage(), sqlState, 1,
                name(status), cause);
    }

    /**
     * Spring would take its rollback-on-commit-failure path for Warden's exception and tell the
     * synchronisations {@code STATUS_ROLLED_BACK} ({@code @TransactionalEventListener(AFTER_ROLLBACK)}
     * firing for a commit that may have been applied); they are told {@code STATUS_UNKNOWN} here, and
     * Spring then finds none left to tell.
     */
    private static void tellSynchronizations(DefaultTransactionStatus status) {
        if (!status.isNewSynchronization() || !TransactionSynchronizationManager.isSynchronizationActive()) {
            return;
        }
        List<TransactionSynchronization> synchronizations = TransactionSynchronizationManager.getSynchronizations();
        TransactionSynchronizationManager.clearSynchronization();
        TransactionSynchronizationManager.initSynchronization();
        TransactionSynchronizationUtils.invokeAfterCompletion(synchronizations, TransactionSynchronization.STATUS_UNKNOWN);
    }
}
