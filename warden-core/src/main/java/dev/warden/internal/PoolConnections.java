package dev.warden.internal;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Where the pool's physical connections come from: opens them through the JDBC driver with the
 * connection settings and keeps track of those still open, so that when the database is declared
 * unreachable every one of them, those in use included, can be aborted at once. Aborting closes the
 * socket without waiting for the server ({@link Connection#abort}), so a thread blocked on a
 * silently dropped network gets a connection error now instead of after the socket timeout; HikariCP
 * then discards the connection (its SQLState is 08xxx).
 */
public final class PoolConnections implements DataSource {

    private final String url;
    private final Properties properties;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private volatile int loginTimeout;

    /**
     * @param url        the JDBC URL
     * @param properties driver properties, credentials included
     */
    public PoolConnections(String url, Properties properties) {
        this.url = url;
        this.properties = new Properties();
        this.properties.putAll(properties);
    }

    @Override
    public Connection getConnection() throws SQLException {
        Driver driver = DriverManager.getDriver(url);
        Connection c = driver.connect(url, properties);
        if (c == null) {
            throw new SQLException("no JDBC driver accepts " + dev.warden.WardenConfig.maskUrl(url), "08001");
        }
        open.removeIf(PoolConnections::closed); // the pool closed them; at most a pool's worth to look at
        open.add(c);
        return c;
    }

    /**
     * Aborts every connection this source opened that is still open, in use or idle, and returns
     * how many. Never blocks on the network.
     */
    public int abortAll() {
        return abortAll(true);
    }

    /**
     * Like {@link #abortAll()}; with {@code evenCommitting} false, a connection whose COMMIT is on
     * the wire ({@link CommitsOnTheWire}) is left to finish: its server may still answer.
     */
    public int abortAll(boolean evenCommitting) {
        int n = 0;
        for (Connection c : open) {
            if ((evenCommitting || !CommitsOnTheWire.onTheWire(c)) && abort(c)) {
                n++;
            }
        }
        return n;
    }

    /** The open connections whose COMMIT is on the wire now ({@link CommitsOnTheWire}). */
    public List<Connection> committing() {
        return open.stream().filter(CommitsOnTheWire::onTheWire).toList();
    }

    /**
     * Aborts those of {@code held} whose COMMIT is still on the wire, and returns how many. A held
     * connection is never reused for another COMMIT: the pool evicts every connection at an outage.
     */
    public int abortStillCommitting(List<Connection> held) {
        int n = 0;
        for (Connection c : held) {
            if (CommitsOnTheWire.onTheWire(c) && abort(c)) {
                n++;
            }
        }
        return n;
    }

    /** Forgets {@code c} and aborts it unless it is closed already; true when it was aborted. */
    private boolean abort(Connection c) {
        open.remove(c);
        if (closed(c)) {
            return false;
        }
        try {
            c.abort(Runnable::run);
            return true;
        } catch (SQLException | RuntimeException ignored) {
            return false; // already broken: nothing left to end
        }
    }

    /** Connections opened and not known to be closed. */
    public int openCount() {
        open.removeIf(PoolConnections::closed);
        return open.size();
    }

    private static boolean closed(Connection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    /** Not supported: the pool has one set of credentials. */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("Warden's pool uses the configured credentials");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // the driver logs through java.util.logging
    }

    /** Recorded only: the driver's {@code loginTimeout} property bounds the connection set-up. */
    @Override
    public void setLoginTimeout(int seconds) {
        loginTimeout = seconds;
    }

    @Override
    public int getLoginTimeout() {
        return loginTimeout;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }
}
