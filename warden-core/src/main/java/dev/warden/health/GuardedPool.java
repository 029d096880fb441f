package dev.warden.health;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import dev.warden.internal.PoolConnections;
import dev.warden.lifecycle.DatabaseUnavailableException;
import dev.warden.lifecycle.Lifecycle;
import dev.warden.lifecycle.State;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/**
 * The pool as transactions see it: a {@link DataSource} that fails fast instead of making a caller
 * wait for a database that is known to be down, plus the actions the {@link HealthMonitor} takes on
 * the pool when the database goes away and comes back.
 *
 * <p>Guarantees of {@link #getConnection()}: in DEGRADED it throws at once, without touching the
 * pool. Otherwise it waits for a pooled connection in short slices (50 ms) up to the pool's acquire
 * timeout; after each empty slice it nudges the monitor, and it stops waiting as soon as the
 * lifecycle is DEGRADED or the last probe failed. Either way the exception is a
 * {@link SQLTransientConnectionException} (SQLState 08001) whose cause is a
 * {@link DatabaseUnavailableException}, which transactions do not retry.
 */
public final class GuardedPool implements DataSource, HealthMonitor.PoolActions {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GuardedPool.class);

    private static final long SLICE_MS = 50;

    private final HikariDataSource pool;
    private final PoolConnections connections;
    private final Lifecycle lifecycle;
    private final BooleanSupplier suspect;
    private final Runnable nudge;
    private final int minimumIdle;

    /**
     * @param pool        the Hikari pool, started
     * @param connections where the pool's physical connections come from (to abort them)
     * @param lifecycle   whose state decides whether to wait
     * @param suspect   true when the last probe failed
     * @param nudge     asks the monitor to probe now
     */
    public GuardedPool(HikariDataSource pool, PoolConnections connections, Lifecycle lifecycle,
                       BooleanSupplier suspect, Runnable nudge) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.connections = Objects.requireNonNull(connections, "connections");
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.suspect = Objects.requireNonNull(suspect, "suspect");
        this.nudge = Objects.requireNonNull(nudge, "nudge");
        this.minimumIdle = pool.getMinimumIdle();
    }

    /** A pooled connection, or a fast failure when the database is known or suspected to be down. */
    @Override
    public Connection getConnection() throws SQLException {
        if (lifecycle.state() == State.DEGRADED) {
            throw unavailable(null);
        }
        HikariPool hikari = hikari();
        if (hikari == null) {
            return pool.getConnection();
        }
        long deadline = System.nanoTime() + pool.getConnectionTimeout() * 1_000_000L;
        while (true) {
            long leftMs = (deadline - System.nanoTime()) / 1_000_000;
            try {
                // Hikari's own wait would last the whole acquire timeout even after the monitor has
                // declared the database down; short slices let this caller leave as soon as it is.
                return hikari.getConnection(Math.max(1, Math.min(SLICE_MS, leftMs)));
            } catch (SQLTransientConnectionException timedOut) {
                nudge.run();
                if (lifecycle.state() == State.DEGRADED || suspect.getAsBoolean()) {
                    throw unavailable(timedOut);
                }
                if (deadline - System.nanoTime() <= 0) {
                    throw timedOut;
                }
            }
        }
    }

    private HikariPool hikari() {
        HikariPoolMXBean mx = pool.getHikariPoolMXBean();
        return mx instanceof HikariPool hp && !pool.isClosed() ? hp : null;
    }

    private SQLException unavailable(Throwable cause) {
        boolean degraded = lifecycle.state() == State.DEGRADED;
        Instant since = degraded ? lifecycle.since() : Instant.now();
        DatabaseUnavailableException du = new DatabaseUnavailableException(since, degraded ? lifecycle.why() : null, cause);
        return new SQLTransientConnectionException(du.getMessage(), "08001", du);
    }

    /**
     * Aborts every pooled connection, those in use included (their threads get a connection error
     * at once instead of waiting for the socket timeout on a dead network; a transaction with
     * COMMIT on the wire ends with an unknown outcome), and lets the pool stop reconnecting until
     * recovery.
     */
    @Override
    public void degraded() {
        HikariPoolMXBean mx = pool.getHikariPoolMXBean();
        if (mx == null || pool.isClosed()) {
            return;
        }
        // With a minimum of idle connections, Hikari keeps reconnecting with a backoff that grows to
        // seconds; the connection made at recovery would then wait for the end of that backoff.
        pool.getHikariConfigMXBean().setMinimumIdle(0);
        int aborted = connections.abortAll();
        mx.softEvictConnections();
        if (aborted > 0) {
            log.info("Aborted {} pool connection(s): the database is unreachable", aborted);
        }
    }

    /**
     * Restores the pool's minimum and drops connections left from before the outage. Takes no
     * connection from the pool, so it needs no free slot: the probe has just connected with the
     * same settings, and the pool opens new connections as work asks for them.
     */
    @Override
    public void recover(Duration timeout) throws SQLException {
        HikariPool hikari = hikari();
        if (hikari == null) {
            throw new SQLException("the pool is closed", "08003");
        }
        pool.getHikariConfigMXBean().setMinimumIdle(minimumIdle);
        hikari.softEvictConnections();
    }

    /** Removes a connection that must not be reused. */
    public void evict(Connection connection) {
        pool.evictConnection(connection);
    }

    /** Not supported: Warden's pool has one set of credentials. */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("Warden's pool uses the configured credentials");
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return pool.getLoginTimeout();
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return pool.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(this) ? iface.cast(this) : pool.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || pool.isWrapperFor(iface);
    }
}
