package dev.warden.internal.tx;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executor;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * The connection handed to the work: every call goes to the pooled connection (the delegation is
 * generated: {@link GuardedConnectionBase}), except those that would end or reshape the transaction
 * behind Warden's back (commit, rollback, auto-commit on, isolation and read-only changes, abort),
 * which throw, and {@code close()}, which does nothing. Statements it makes are guarded: SQL that
 * ends the transaction is refused before it is sent, and a statement that ended it anyway is caught.
 */
final class TxConnection extends GuardedConnectionBase {

    /** The driver's connection when it is pgjdbc, whose transaction state is known locally; else null. */
    private final BaseConnection pg;
    /** Set when a statement of the work ended the transaction (COMMIT, ROLLBACK, END… sent as SQL). */
    private String endedBySql;
    /** True once a statement of the work has opened the transaction. */
    private boolean opened;

    TxConnection(Connection delegate, BaseConnection pg) {
        super(delegate);
        this.pg = pg;
    }

    @Override
    TxConnection self() {
        return this;
    }

    /**
     * Called after each statement of the work ran. With auto-commit off, pgjdbc sends BEGIN before a
     * statement whenever no transaction is open, so once a statement has opened the transaction, an
     * idle connection after a later statement means that statement ended the transaction itself.
     * (Before the first statement the state is idle too, and a statement that sends nothing, such as
     * an empty batch, leaves it so: only a transition from open to idle counts.) What it committed
     * stays committed; Warden refuses to count the rest as one clean commit.
     */
    void executed() {
        if (pg == null) {
            return;
        }
        if (pg.getTransactionState() != TransactionState.IDLE) {
            opened = true;
        } else if (opened) {
            endedBySql = "a statement of the work ended the transaction (COMMIT or ROLLBACK sent as SQL)";
            throw new IllegalStateException("A COMMIT or ROLLBACK sent as SQL ended the Warden transaction in the"
                    + " middle of the work: what ran before it may be committed, and the rest is rolled back. Return"
                    + " from the work to commit, throw to roll back, and use tx.savepoint(…) for partial rollback.");
        }
    }

    /**
     * Refuses, before it is sent, SQL that would end the transaction (COMMIT, COMMIT AND CHAIN, END,
     * ROLLBACK, BEGIN…, also as one of several statements): some of it leaves the connection inside a
     * new transaction, where the check after the statement cannot see that the first one committed.
     */
    @Override
    String checked(String sql) {
        String found = sql == null ? null : TransactionControl.find(sql);
        if (found != null) {
            endedBySql = "a statement of the work tried to end the transaction ('" + found + "' sent as SQL; refused)";
            throw new IllegalStateException("A COMMIT or ROLLBACK sent as SQL ('" + found + "') is not allowed inside"
                    + " a Warden transaction; it was refused and not sent. Return from the work to commit, throw to"
                    + " roll back, and use tx.savepoint(…) for partial rollback.");
        }
        return sql;
    }

    /** Why the transaction can no longer commit as one unit, or null. */
    String endedBySql() {
        return endedBySql;
    }

    private static IllegalStateException owned(String call) {
        return new IllegalStateException(call + " is not allowed inside a Warden transaction: return from the work"
                + " to commit, throw to roll back, and set isolation or read-only with transaction().");
    }

    @Override
    public void setAutoCommit(boolean autoCommit) throws SQLException {
        if (autoCommit) {
            throw owned("setAutoCommit(true)");
        }
    }

    @Override
    public void commit() throws SQLException {
        throw owned("commit");
    }

    @Override
    public void rollback() throws SQLException {
        throw owned("rollback");
    }

    @Override
    public void close() throws SQLException {
        // Warden returns the connection when the transaction ends.
    }

    @Override
    public void setReadOnly(boolean readOnly) throws SQLException {
        throw owned("setReadOnly");
    }

    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        throw owned("setTransactionIsolation");
    }

    @Override
    public void abort(Executor executor) throws SQLException {
        throw owned("abort");
    }
}
