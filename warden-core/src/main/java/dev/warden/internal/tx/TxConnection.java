package dev.warden.internal.tx;

import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * The connection handed to the work: every call goes to the pooled connection, except those that
 * would end or reshape the transaction behind Warden's back (commit, rollback, auto-commit on,
 * isolation and read-only changes, abort), which throw, and {@code close()}, which does nothing.
 */
final class TxConnection implements Connection {

    private final Connection delegate;
    /** The driver's connection when it is pgjdbc, whose transaction state is known locally; else null. */
    private final BaseConnection pg;
    /** Set when a statement of the work ended the transaction (COMMIT, ROLLBACK, END… sent as SQL). */
    private String endedBySql;
    /** True once a statement of the work has opened the transaction. */
    private boolean opened;

    TxConnection(Connection delegate, BaseConnection pg) {
        this.delegate = delegate;
        this.pg = pg;
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
    public Statement createStatement() throws SQLException {
        return new TxStatement<>(delegate.createStatement(), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0) throws SQLException {
        return new TxPreparedStatement<>(delegate.prepareStatement(checked(a0)), this);
    }

    @Override
    public CallableStatement prepareCall(String a0) throws SQLException {
        return GuardedProxies.callable(delegate.prepareCall(checked(a0)), this);
    }

    @Override
    public String nativeSQL(String a0) throws SQLException {
        return delegate.nativeSQL(a0);
    }

    @Override
    public void setAutoCommit(boolean a0) throws SQLException {
        if (a0) {
            throw owned("setAutoCommit(true)");
        }
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        return delegate.getAutoCommit();
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
    public boolean isClosed() throws SQLException {
        return delegate.isClosed();
    }

    @Override
    public DatabaseMetaData getMetaData() throws SQLException {
        return GuardedProxies.metaData(delegate.getMetaData(), this);
    }

    @Override
    public void setReadOnly(boolean a0) throws SQLException {
        throw owned("setReadOnly");
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        return delegate.isReadOnly();
    }

    @Override
    public void setCatalog(String a0) throws SQLException {
        delegate.setCatalog(a0);
    }

    @Override
    public String getCatalog() throws SQLException {
        return delegate.getCatalog();
    }

    @Override
    public void setTransactionIsolation(int a0) throws SQLException {
        throw owned("setTransactionIsolation");
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        return delegate.getTransactionIsolation();
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        return delegate.getWarnings();
    }

    @Override
    public void clearWarnings() throws SQLException {
        delegate.clearWarnings();
    }

    @Override
    public Statement createStatement(int a0, int a1) throws SQLException {
        return new TxStatement<>(delegate.createStatement(a0, a1), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1, int a2) throws SQLException {
        return new TxPreparedStatement<>(delegate.prepareStatement(checked(a0), a1, a2), this);
    }

    @Override
    public CallableStatement prepareCall(String a0, int a1, int a2) throws SQLException {
        return GuardedProxies.callable(delegate.prepareCall(checked(a0), a1, a2), this);
    }

    @Override
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        return delegate.getTypeMap();
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> a0) throws SQLException {
        delegate.setTypeMap(a0);
    }

    @Override
    public void setHoldability(int a0) throws SQLException {
        delegate.setHoldability(a0);
    }

    @Override
    public int getHoldability() throws SQLException {
        return delegate.getHoldability();
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        return delegate.setSavepoint();
    }

    @Override
    public Savepoint setSavepoint(String a0) throws SQLException {
        return delegate.setSavepoint(a0);
    }

    @Override
    public void rollback(Savepoint a0) throws SQLException {
        delegate.rollback(a0);
    }

    @Override
    public void releaseSavepoint(Savepoint a0) throws SQLException {
        delegate.releaseSavepoint(a0);
    }

    @Override
    public Statement createStatement(int a0, int a1, int a2) throws SQLException {
        return new TxStatement<>(delegate.createStatement(a0, a1, a2), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1, int a2, int a3) throws SQLException {
        return new TxPreparedStatement<>(delegate.prepareStatement(checked(a0), a1, a2, a3), this);
    }

    @Override
    public CallableStatement prepareCall(String a0, int a1, int a2, int a3) throws SQLException {
        return GuardedProxies.callable(delegate.prepareCall(checked(a0), a1, a2, a3), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1) throws SQLException {
        return new TxPreparedStatement<>(delegate.prepareStatement(checked(a0), a1), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int[] a1) throws SQLException {
        return new TxPreparedStatement<>(delegate.prepareStatement(checked(a0), a1), this);
    }

    @Override
    public PreparedStatement prepareStatement(String a0, String[] a1) throws SQLException {
        return new TxPreparedStatement<>(delegate.prepareStatement(checked(a0), a1), this);
    }

    @Override
    public Clob createClob() throws SQLException {
        return delegate.createClob();
    }

    @Override
    public Blob createBlob() throws SQLException {
        return delegate.createBlob();
    }

    @Override
    public NClob createNClob() throws SQLException {
        return delegate.createNClob();
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        return delegate.createSQLXML();
    }

    @Override
    public boolean isValid(int a0) throws SQLException {
        return delegate.isValid(a0);
    }

    @Override
    public void setClientInfo(String a0, String a1) throws SQLClientInfoException {
        delegate.setClientInfo(a0, a1);
    }

    @Override
    public void setClientInfo(Properties a0) throws SQLClientInfoException {
        delegate.setClientInfo(a0);
    }

    @Override
    public String getClientInfo(String a0) throws SQLException {
        return delegate.getClientInfo(a0);
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        return delegate.getClientInfo();
    }

    @Override
    public Array createArrayOf(String a0, Object[] a1) throws SQLException {
        return delegate.createArrayOf(a0, a1);
    }

    @Override
    public Struct createStruct(String a0, Object[] a1) throws SQLException {
        return delegate.createStruct(a0, a1);
    }

    @Override
    public void setSchema(String a0) throws SQLException {
        delegate.setSchema(a0);
    }

    @Override
    public String getSchema() throws SQLException {
        return delegate.getSchema();
    }

    @Override
    public void abort(Executor a0) throws SQLException {
        throw owned("abort");
    }

    @Override
    public void setNetworkTimeout(Executor a0, int a1) throws SQLException {
        delegate.setNetworkTimeout(a0, a1);
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        return delegate.getNetworkTimeout();
    }


    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        return delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || delegate.isWrapperFor(iface);
    }
}
