package dev.warden.spring;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.ErrorKind;
import dev.warden.WardenException;
import dev.warden.internal.WardenInternals;
import dev.warden.internal.tx.ManagedTransactions;
import dev.warden.internal.tx.TxCounters;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.PersistenceException;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.support.DataAccessUtils;
import org.springframework.jdbc.UncategorizedSQLException;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.orm.jpa.EntityManagerHolder;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Spring's {@link JpaTransactionManager} (the EntityManager flushed and committed, JDBC work in the
 * same transaction sharing its connection, propagation, savepoints, synchronisation and exception
 * translation as Spring does them) with the guarantees of {@link WardenTransactionManager}:
 * <ul>
 *   <li>When the server's transaction is aborted at commit (a statement failed inside it and its error
 *       was caught, SQLState 25P02), it is rolled back and reported with a
 *       {@link TransactionAbortedException}, never committed as a success (read from pgjdbc before
 *       Hibernate flushes; a statement that fails in that flush fails the commit).</li>
 *   <li>A connection lost while COMMIT was on the wire gives a {@link CommitOutcomeUnknownException}
 *       (the commit may or may not have been applied); synchronisations see
 *       {@code STATUS_UNKNOWN}, never {@code STATUS_ROLLED_BACK}, and {@link WardenRetry} never retries it;
 *       with {@code warden.tx.verify-commit=true} Warden's verifier resolves it first (committed: success).</li>
 *   <li>COMMIT/ROLLBACK sent as SQL (a native query, a {@code JdbcTemplate} on the shared connection) is
 *       refused before it is sent, and a transaction it ended, or tried to, is rolled back at commit.</li>
 *   <li>A connection that broke is evicted from the pool instead of returned.</li>
 *   <li>Outcomes are counted by kind in Warden's health report and metrics.</li>
 *   <li>Before READY a transaction waits on Warden's readiness gate and then fails with Warden's own
 *       exception, not wrapped in {@link CannotCreateTransactionException}.</li>
 * </ul>
 */
public class WardenJpaTransactionManager extends JpaTransactionManager {

    private static final Logger log = LoggerFactory.getLogger(WardenJpaTransactionManager.class);

    /** A connection found broken in this thread's transaction: evicted when the transaction ends. */
    private final ThreadLocal<Connection> broken = new ThreadLocal<>();
    private volatile TxCounters stats;
    /** {@code warden.tx.verify-commit} when the DataSource is Warden's; else null. */
    private volatile CommitVerification verification;

    public WardenJpaTransactionManager(EntityManagerFactory emf) {
        super(emf);
    }

    @Override
    public void afterPropertiesSet() {
        super.afterPropertiesSet();
        DataSource ds = getDataSource();
        stats = ds instanceof WardenDataSource w ? WardenInternals.counters(w.warden()) : null;
        verification = CommitVerification.of(ds);
    }

    @Override
    protected void doBegin(Object transaction, TransactionDefinition definition) {
        RetryScope.beginning(definition.isReadOnly());
        try {
            super.doBegin(transaction, definition);
        } catch (CannotCreateTransactionException e) {
            Throwable refused = rootWardenException(e);
            if (refused instanceof WardenException w) {
                throw w; // NotReadyException or DatabaseUnavailableException, as the gate said it
            }
            throw e;
        } finally {
            RetryScope.begun();
        }
    }

    @Override
    protected void doCommit(DefaultTransactionStatus status) {
        Connection con = connection();
        String endedBySql = WardenInternals.endedBySql(con);
        if (endedBySql != null || CommitChecks.aborted(con)) {
            // Read before any flush: a flush on an aborted transaction could only fail, and the caught
            // failure that aborted it is what the application must hear about.
            try {
                super.doRollback(status); // through the EntityManager's transaction, so that it closes
            } catch (RuntimeException e) {
                broken.set(con);
            }
            if (stats != null) {
                stats.recordFailed(ErrorKind.UNKNOWN);
            }
            throw endedBySql != null ? CommitChecks.endedBySql(status, endedBySql) : CommitChecks.abortedAtCommit(status);
        }
        ManagedTransactions.Ticket ticket = null;
        if (verification != null && con != null && verification.enabled()) {
            // The ticket reads the transaction id, which a write still in the persistence context has not
            // assigned yet: flush first. Without verification Hibernate's own commit flushes (once): a
            // statement that fails there fails the commit, and a flush cannot leave the transaction
            // aborted without failing. (The EntityManager is looked up only here: no lookup per commit
            // when commits are not verified.)
            EntityManager em = entityManager();
            if (em != null && !status.isRollbackOnly()) {
                try {
                    em.flush();
                } catch (RuntimeException e) {
                    if (stats != null) {
                        stats.recordFailed(ErrorKind.of(e));
                    }
                    throw DataAccessUtils.translateIfNecessary(e, getJpaDialect());
                }
            }
            try {
                ticket = verification.ticket(con);
            } catch (SQLException e) {
                if (stats != null) {
                    stats.recordFailed(ErrorKind.of(e));
                }
                throw new UncategorizedSQLException("reading the transaction id before COMMIT", null, e);
            }
        }
        try {
            super.doCommit(status);
            RetryScope.committed();
            if (stats != null) {
                stats.recordCommitted();
            }
        } catch (RuntimeException e) {
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
                    throw CommitChecks.unknownOutcome(status, e, ErrorKind.sqlState(e));
                }
                if (stats != null) {
                    stats.recordResolved();
                    stats.recordFailed(kind);
                }
                throw CommitChecks.abortedAfterAll(status, e); // known not to have committed
            }
            if (stats != null) {
                stats.recordFailed(kind);
            }
            throw e;
        }
    }

    @Override
    protected void doRollback(DefaultTransactionStatus status) {
        Connection con = connection();
        if (con != null && broken.get() == con) {
            // Already counted where it broke, and the server discards the session's transaction; the
            // EntityManager's transaction is ended all the same, or closing it would wait for it.
            try {
                super.doRollback(status);
            } catch (RuntimeException e) {
                log.debug("Rollback on a lost connection ({}); the connection is evicted", e.toString());
            }
            return;
        }
        if (stats != null) {
            stats.recordRolledBack();
        }
        try {
            super.doRollback(status);
        } catch (TransactionSystemException | PersistenceException e) {
            if (ErrorKind.of(e) == ErrorKind.CONNECTION || CommitChecks.closed(con)) {
                broken.set(con);
                log.debug("Rollback on a lost connection ({}); the connection is evicted", e.toString());
                return;
            }
            throw e;
        }
    }

    @Override
    protected void doCleanupAfterCompletion(Object transaction) {
        Connection con = connection();
        try {
            if (con != null && (broken.get() == con || CommitChecks.notIdle(con))
                    && getDataSource() instanceof WardenDataSource wds && wds.evict(con)) {
                log.debug("Evicted a connection that was broken or still inside a transaction");
            }
        } catch (SQLException | RuntimeException e) {
            log.debug("Could not check a connection before returning it: {}", e.toString());
        } finally {
            broken.remove();
            super.doCleanupAfterCompletion(transaction);
        }
    }

    private EntityManager entityManager() {
        Object holder = TransactionSynchronizationManager.getResource(obtainEntityManagerFactory());
        return holder instanceof EntityManagerHolder h ? h.getEntityManager() : null;
    }

    /** The transaction's JDBC connection, when the JPA dialect exposes it (Hibernate's does). */
    private Connection connection() {
        DataSource ds = getDataSource();
        Object holder = ds == null ? null : TransactionSynchronizationManager.getResource(ds);
        try {
            return holder instanceof ConnectionHolder h ? h.getConnection() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Throwable rootWardenException(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof WardenException) {
                return t;
            }
        }
        return null;
    }
}
