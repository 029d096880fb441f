package dev.warden.internal.tx;

import java.sql.SQLException;
import java.sql.SQLWarning;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.CachedQuery;
import org.postgresql.core.QueryExecutor;
import org.postgresql.core.ResultHandlerBase;
import org.postgresql.core.TransactionState;
import org.postgresql.jdbc.PgConnection;

/**
 * COMMIT sent through pgjdbc's query executor, as {@code PgConnection.commit()} sends it, with a
 * handler that remembers whether the server's {@code CommandComplete} for it arrived.
 *
 * <p>PostgreSQL commits before it reports COMMIT complete ("so that any end-of-transaction errors
 * are reported before the command-complete message", {@code postgres.c}), and it can still end the
 * session right after, with {@code FATAL 57P01} when a termination arrived while it held interrupts
 * around the commit record: pgjdbc then throws that FATAL and drops the {@code CommandComplete}. Read
 * here, the answer settles the outcome: {@code CommandComplete(COMMIT)} arrived, the transaction
 * committed; a FATAL from an interrupt check (57P01, 25P03, 25P04) arrived without it, the session
 * ended before the commit, which was therefore not applied ({@link CommitAnswer}).
 *
 * <p>No extra round trip: the same Parse/Bind/Execute/Sync as pgjdbc's own commit, the query taken
 * from the connection's statement cache. HikariCP's proxy does not see this COMMIT, and on close it
 * calls {@code rollback()}, which pgjdbc skips without a round trip since the transaction is over.
 */
final class WireCommit extends ResultHandlerBase {

    private static final int FLAGS = QueryExecutor.QUERY_NO_METADATA | QueryExecutor.QUERY_NO_RESULTS
            | QueryExecutor.QUERY_SUPPRESS_BEGIN;

    private boolean committed;
    private boolean answered;
    private BaseConnection pg;

    /**
     * Commits the transaction on {@code pg}. What the server said, read message by message, stays
     * readable through {@link #committed()} and {@link #answered()} after this throws.
     */
    void commit(BaseConnection pg) throws SQLException {
        this.pg = pg;
        if (pg.getQueryExecutor().getTransactionState() == TransactionState.IDLE) {
            committed = true; // nothing to commit: pgjdbc's commit() sends nothing either
            return;
        }
        QueryExecutor executor = pg.getQueryExecutor();
        int flags = pg.getPrepareThreshold() == 0 ? FLAGS | QueryExecutor.QUERY_ONESHOT : FLAGS;
        CachedQuery commit = executor.borrowQuery("COMMIT");
        try {
            executor.execute(commit.query, null, this, 0, 0, flags);
        } catch (SQLException e) {
            // as pgjdbc's commit(): a server-prepared COMMIT the server no longer knows (an error
            // before it ran) is prepared and sent again; what counts is then the second answer
            if (!executor.willHealOnRetry(e)) {
                throw e;
            }
            commit.query.close();
            WireCommit again = new WireCommit();
            again.pg = pg;
            try {
                executor.execute(commit.query, null, again, 0, 0, flags);
            } finally {
                committed = again.committed;
                answered = again.answered;
            }
        } finally {
            executor.releaseQuery(commit);
        }
    }

    @Override
    public void handleCommandStatus(String status, long updateCount, long insertOID) {
        // "ROLLBACK" is what the server answers to COMMIT in a failed transaction
        committed = status.startsWith("COMMIT");
        answered = true;
    }

    @Override
    public void handleError(SQLException error) {
        if (error instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null) {
            answered = true; // the server's own message, in order after anything it sent before
        }
        super.handleError(error);
    }

    @Override
    public void handleWarning(SQLWarning warning) {
        // as pgjdbc's commit(): the server's warnings (e.g. "there is no transaction in progress")
        // reach the connection's getWarnings()
        if (pg instanceof PgConnection c) {
            c.addWarning(warning);
        }
    }

    /** True when the server reported the COMMIT complete: it committed, whatever came after. */
    boolean committed() {
        return committed;
    }

    /** True when a message of the server about this COMMIT arrived (a completion or an error). */
    boolean answered() {
        return answered;
    }
}
