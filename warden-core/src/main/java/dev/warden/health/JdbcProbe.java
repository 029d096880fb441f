package dev.warden.health;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * Probes the database on one dedicated connection opened through the JDBC driver, outside the
 * pool: a probe still runs when the pool is exhausted by the application or full of dead
 * connections. Each probe runs {@code select 1} under a network timeout; a connection that fails is
 * closed and opened again on the next probe (with the connect timeout), so a probe never waits
 * longer than about the timeout it is given.
 *
 * <p>For a pool that writes, the probe's one statement also asks whether the server can take writes
 * ({@link #WRITABLE_CHECK}); a server in recovery or with read-only transactions fails the probe with
 * {@link ReadOnlyServerException}, and the connection is closed so that the next probe connects
 * anew (behind a multi-host URL with {@code targetServerType=primary}, to the new primary).
 */
public final class JdbcProbe implements HealthMonitor.Probe, AutoCloseable {

    /** One round trip: is the server a standby, and are its transactions read-only? */
    static final String WRITABLE_CHECK = "select pg_is_in_recovery(), current_setting('transaction_read_only')";

    private final String url;
    private final Properties properties;
    private final boolean requireWritable;
    private Connection connection;
    private boolean closed;

    /**
     * @param url        the JDBC URL (the same database as the pool)
     * @param user       database user
     * @param password   database password, or empty
     * @param properties extra driver properties (e.g. ApplicationName); timeouts are set per probe
     */
    public JdbcProbe(String url, String user, String password, Properties properties) {
        this(url, user, password, properties, false);
    }

    /**
     * @param requireWritable true for a pool that writes: a reachable but read-only server fails the
     *                        probe with {@link ReadOnlyServerException}
     */
    public JdbcProbe(String url, String user, String password, Properties properties, boolean requireWritable) {
        this.requireWritable = requireWritable;
        this.url = url;
        this.properties = new Properties();
        this.properties.putAll(properties);
        this.properties.setProperty("user", user);
        if (password != null && !password.isEmpty()) {
            this.properties.setProperty("password", password);
        }
        this.properties.setProperty("tcpKeepAlive", "true");
    }

    /** Runs {@code select 1}, opening the connection first when needed; throws when it fails or times out. */
    @Override
    public synchronized void probe(Duration timeout) throws SQLException {
        if (closed) {
            throw new SQLException("the probe is closed", "08003");
        }
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        Connection c = connection;
        try {
            if (c == null) {
                Properties p = new Properties();
                p.putAll(properties);
                // pgjdbc takes whole seconds here; the network timeout below applies the exact bound.
                String seconds = String.valueOf(Math.max(1, (ms + 999) / 1000));
                p.setProperty("connectTimeout", seconds);
                p.setProperty("loginTimeout", seconds);
                Driver driver = DriverManager.getDriver(url);
                c = driver.connect(url, p);
                if (c == null) {
                    throw new SQLException("no JDBC driver accepts " + url, "08001");
                }
                c.setAutoCommit(true);
                connection = c;
            }
            c.setNetworkTimeout(Runnable::run, ms);
            try (Statement st = c.createStatement()) {
                if (requireWritable) {
                    checkWritable(st);
                } else {
                    st.execute("select 1");
                }
            }
        } catch (SQLException | RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    private static void checkWritable(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery(WRITABLE_CHECK)) {
            rs.next();
            if (rs.getBoolean(1)) {
                throw new ReadOnlyServerException("in recovery: a standby");
            }
            if ("on".equals(rs.getString(2))) {
                throw new ReadOnlyServerException("transaction_read_only is on");
            }
        }
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
