package dev.warden.health;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * Probes the database on one dedicated connection opened through the JDBC driver, outside the
 * pool: a probe still runs when the pool is exhausted by the application or full of dead
 * connections.
 *
 * <p>Each probe runs {@code select 1} on the kept connection under a network timeout. The
 * connection is kept while it works: a probe adds no connection to a busy server. Only when it
 * fails (it did not answer within the timeout, or it was closed) is it replaced by a new one, opened
 * with the same bound, and the new connection decides what the probe found: it answers → the
 * database is there ({@link ProbeOutcome#SLOW} when the old one had timed out), it is refused with
 * 53300 or 57P03 → {@link ProbeOutcome#REFUSING_CONNECTIONS}, nothing answers → the probe throws
 * (unreachable).
 */
public final class JdbcProbe implements HealthMonitor.Probe, AutoCloseable {

    private final String url;
    private final Properties properties;
    private Connection connection;
    private boolean closed;

    /**
     * @param url        the JDBC URL (the same database as the pool)
     * @param user       database user
     * @param password   database password, or empty
     * @param properties extra driver properties (e.g. ApplicationName); timeouts are set per probe
     */
    public JdbcProbe(String url, String user, String password, Properties properties) {
        this.url = url;
        this.properties = new Properties();
        this.properties.putAll(properties);
        this.properties.setProperty("user", user);
        if (password != null && !password.isEmpty()) {
            this.properties.setProperty("password", password);
        }
        this.properties.setProperty("tcpKeepAlive", "true");
    }

    /**
     * Runs {@code select 1}, replacing the connection when it failed; returns what the database
     * answered, or throws when nothing answered within {@code timeout} (per connection attempt).
     */
    @Override
    public synchronized ProbeOutcome probe(Duration timeout) throws SQLException {
        if (closed) {
            throw new SQLException("the probe is closed", "08003");
        }
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        SQLException lost = null;
        boolean late = false;
        Connection c = connection;
        if (c != null) {
            try {
                long t0 = System.nanoTime();
                selectOne(c, ms);
                return (System.nanoTime() - t0) / 1_000_000 > ms / 2 ? ProbeOutcome.SLOW : ProbeOutcome.OK;
            } catch (SQLException | RuntimeException e) {
                closeQuietly();
                late = timedOut(e);
                lost = e instanceof SQLException sql ? sql : new SQLException(e.toString(), "08006", e);
            }
        }
        try {
            c = connect(ms);
            connection = c;
            long t0 = System.nanoTime();
            selectOne(c, ms);
            boolean slow = late || (System.nanoTime() - t0) / 1_000_000 > ms / 2;
            return slow ? ProbeOutcome.SLOW : ProbeOutcome.OK;
        } catch (SQLException | RuntimeException e) {
            closeQuietly();
            if (refusesNewConnections(e)) {
                return ProbeOutcome.REFUSING_CONNECTIONS;
            }
            if (lost != null) {
                e.addSuppressed(lost);
            }
            throw e;
        }
    }

    private Connection connect(int ms) throws SQLException {
        Properties p = new Properties();
        p.putAll(properties);
        // pgjdbc takes whole seconds here; the network timeout set per statement applies the exact bound.
        String seconds = String.valueOf(Math.max(1, (ms + 999) / 1000));
        p.setProperty("connectTimeout", seconds);
        p.setProperty("loginTimeout", seconds);
        Driver driver = DriverManager.getDriver(url);
        Connection c = driver.connect(url, p);
        if (c == null) {
            throw new SQLException("no JDBC driver accepts " + url, "08001");
        }
        c.setAutoCommit(true);
        return c;
    }

    private static void selectOne(Connection c, int ms) throws SQLException {
        c.setNetworkTimeout(Runnable::run, ms);
        try (Statement st = c.createStatement()) {
            st.execute("select 1");
        }
    }

    /** True for a read that ran out of time (the server did not answer), not for a closed connection. */
    static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.SocketTimeoutException || t instanceof SQLTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** 53300 (too many connections) or 57P03 (cannot connect now): the server is there and said no. */
    static boolean refusesNewConnections(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && ("53300".equals(sql.getSQLState()) || "57P03".equals(sql.getSQLState()))) {
                return true;
            }
        }
        return false;
    }

    private void closeQuietly() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException | RuntimeException ignored) {
                // the connection is already broken; nothing more to release
            }
        }
    }

    /** Closes the probe connection; later probes fail. */
    @Override
    public synchronized void close() {
        closed = true;
        closeQuietly();
    }
}
