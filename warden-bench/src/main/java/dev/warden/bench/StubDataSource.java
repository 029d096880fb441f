package dev.warden.bench;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A JDBC data source whose connections and statements do nothing: the cost left in a benchmark on
 * it is the pool's and the transaction code's, not the database's. The same stub serves the
 * baseline and Warden, so their difference is Warden's overhead.
 */
public final class StubDataSource implements DataSource {

    private static final Object STATEMENT = Proxy.newProxyInstance(StubDataSource.class.getClassLoader(),
            new Class<?>[] {PreparedStatement.class}, statementHandler());

    private static InvocationHandler statementHandler() {
        return (proxy, method, args) -> switch (method.getName()) {
            case "executeUpdate" -> 1;
            case "execute", "isClosed", "isWrapperFor", "isPoolable", "isCloseOnCompletion" -> false;
            case "getUpdateCount", "getQueryTimeout", "getMaxRows", "getFetchSize" -> 0;
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            default -> null;
        };
    }

    private static Connection newConnection() {
        boolean[] autoCommit = {true};
        boolean[] closed = {false};
        return (Connection) Proxy.newProxyInstance(StubDataSource.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "prepareStatement", "createStatement" -> STATEMENT;
                    case "getAutoCommit" -> autoCommit[0];
                    case "setAutoCommit" -> {
                        autoCommit[0] = (Boolean) args[0];
                        yield null;
                    }
                    case "isValid" -> !closed[0];
                    case "isClosed" -> closed[0];
                    case "close" -> {
                        closed[0] = true;
                        yield null;
                    }
                    case "getTransactionIsolation" -> Connection.TRANSACTION_READ_COMMITTED;
                    case "isReadOnly", "isWrapperFor" -> false;
                    case "getNetworkTimeout", "getHoldability" -> 0;
                    case "unwrap" -> throw new SQLException("not a wrapper");
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "StubConnection";
                    default -> null; // commit, rollback, setReadOnly, clearWarnings, getWarnings, …
                });
    }

    @Override
    public Connection getConnection() {
        return newConnection();
    }

    @Override
    public Connection getConnection(String username, String password) {
        return newConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return false;
    }

    /** For tests: a statement from a stub connection does nothing and says it updated one row. */
    static boolean isStub(Statement st) {
        return Proxy.isProxyClass(st.getClass());
    }
}
