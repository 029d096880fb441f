package dev.warden.internal.tx;

import dev.warden.internal.CommitsOnTheWire;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * A pooled connection handed to code that runs under another transaction manager (the Spring Boot
 * starter's, and Hibernate under it): that manager owns commit, rollback and auto-commit, which pass
 * through; while a transaction runs on the connection (auto-commit off), the statements it makes are
 * guarded exactly as {@link TxConnection}'s: SQL that ends the transaction is refused before it is
 * sent ({@link TransactionControl}), and a statement that ended it anyway is caught after it ran.
 * Either marks the transaction, and its manager asks {@link ManagedTransactions#endedBySql(Connection)}
 * before it commits. With auto-commit on (a statement outside any transaction) nothing is checked:
 * each statement is its own transaction there, as the application asked.
 */
final class ManagedConnection extends GuardedConnectionBase {

    private boolean autoCommit;
    /** Null until a check needs it; then the driver's connection, or the delegate itself when it is not pgjdbc. */
    private Object pg;
    /** Set when a statement ended, or tried to end, the running transaction. */
    private String endedBySql;
    /** True once a statement of the running transaction has opened it on the server. */
    private boolean opened;

    ManagedConnection(Connection delegate, boolean autoCommit) {
        super(delegate);
        this.autoCommit = autoCommit;
    }

    @Override
    ManagedConnection self() {
        return this;
    }

    @Override
    String checked(String sql) {
        if (autoCommit || sql == null) {
            return sql;
        }
        BaseConnection p = pg();
        String found = TransactionControl.find(sql, p == null || p.getStandardConformingStrings());
        if (found != null) {
            endedBySql = "a statement tried to end the transaction ('" + found + "' sent as SQL; refused)";
            throw new IllegalStateException("A COMMIT or ROLLBACK sent as SQL ('" + found + "') is not allowed inside"
                    + " a transaction on Warden's pool; it was refused and not sent. Return from the transactional"
                    + " method to commit, throw to roll back, and use a savepoint (Propagation.NESTED) for partial"
                    + " rollback.");
        }
        return sql;
    }

    /** As {@link TxConnection#executed()}: an idle connection after a statement that found it open means that statement ended it. */
    @Override
    void executed() {
        if (autoCommit) {
            return;
        }
        BaseConnection p = pg();
        if (p == null) {
            return;
        }
        if (p.getTransactionState() != TransactionState.IDLE) {
            opened = true;
        } else if (opened) {
            endedBySql = "a statement ended the transaction (COMMIT or ROLLBACK sent as SQL)";
            throw new IllegalStateException("A COMMIT or ROLLBACK sent as SQL ended the transaction in the middle"
                    + " of the work: what ran before it may be committed, and the rest is rolled back. Return from"
                    + " the transactional method to commit, throw to roll back.");
        }
    }

    /** Why the running transaction can no longer commit as one unit, or null. */
    String endedBySql() {
        return endedBySql;
    }

    private BaseConnection pg() {
        Object p = pg;
        if (p == null) {
            try {
                p = delegate.isWrapperFor(BaseConnection.class) ? delegate.unwrap(BaseConnection.class) : delegate;
            } catch (SQLException e) {
                p = delegate;
            }
            pg = p;
        }
        return p instanceof BaseConnection b ? b : null;
    }

    /** The transaction is over (committed, rolled back, or auto-commit back on): a fresh one starts clean. */
    private void ended() {
        endedBySql = null;
        opened = false;
    }

    @Override
    public void setAutoCommit(boolean on) throws SQLException {
        delegate.setAutoCommit(on);
        if (on != autoCommit) {
            autoCommit = on;
            ended();
        }
    }

    /** Marked on the wire while it waits for its answer: an outage then spares it ({@link CommitsOnTheWire}). */
    @Override
    public void commit() throws SQLException {
        BaseConnection p = pg();
        CommitsOnTheWire.sent(p);
        try {
            delegate.commit();
        } finally {
            CommitsOnTheWire.answered(p);
            ended();
        }
    }

    @Override
    public void rollback() throws SQLException {
        try {
            delegate.rollback();
        } finally {
            ended();
        }
    }
}
