package dev.warden.internal.health;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commit check of a writing pool's probe: one write that touches no table, committed on a
 * connection of its own, and whether its COMMIT came back in time (a synchronous standby gone
 * blocks every commit while the server answers queries).
 */
final class ProbeCommitCheck implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JdbcProbe.class);

    private final String url;
    private final Properties properties;
    private final ExecutorService executor;
    private volatile boolean closed;
    private volatile boolean commitCheckUnavailable;
    private final Object commitLock = new Object();
    private Connection commitConnection; // guarded by commitLock

    /**
     * @param url        the JDBC URL (the same database as the pool)
     * @param properties driver properties, credentials included
     * @param executor   where the cancel of a COMMIT that does not come back is scheduled
     */
    ProbeCommitCheck(String url, Properties properties, ExecutorService executor) {
        this.url = url;
        this.properties = properties;
        this.executor = executor;
    }

    /**
     * A write that touches no table: a transactional logical message of a few bytes in the WAL (at
     * any wal_level; no decoder reads it unless one asks for the prefix "warden"). It takes a
     * transaction id and writes WAL, so its (implicit) COMMIT waits for synchronous replication like
     * any application commit. A bare {@code txid_current()} would not: a transaction that wrote no
     * WAL before its commit record does not wait for the standbys.
     */
    static final String COMMIT_CHECK = "select pg_logical_emit_message(true, 'warden', 'commit check')";

    /**
     * On a connection of its own (never the probe's: a cancel sent to a stopped
     * server can take seconds, and the probe must not wait for it): commits {@link #COMMIT_CHECK} and
     * says whether the COMMIT failed to come back within {@code timeout}. A COMMIT still waiting then
     * is cancelled (PostgreSQL ends the wait for a synchronous standby on a cancel, the transaction
     * having committed locally), so that no backend is left waiting; null when there is nothing to
     * check with. Call it from one thread that is not the probe's.
     */
    Boolean commitBlocked(Duration timeout) {
        synchronized (commitLock) {
            if (closed || commitCheckUnavailable) {
                return null;
            }
            if (commitConnection == null) {
                try {
                    Properties p = new Properties();
                    p.putAll(properties);
                    p.setProperty("cancelSignalTimeout", String.valueOf(Math.max(1, (timeout.toMillis() + 999) / 1000)));
                    commitConnection = DriverManager.getDriver(url).connect(url, p);
                } catch (SQLException | RuntimeException e) {
                    return null; // the probe says what the server is doing
                }
            }
            Boolean blocked = commitBlocked(commitConnection, timeout);
            if (blocked == null && !commitCheckUnavailable) {
                Connection c = commitConnection;
                commitConnection = null;
                try {
                    c.abort(Runnable::run);
                } catch (SQLException | RuntimeException ignored) {
                    JdbcProbe.closeQuietly(c);
                }
            }
            return blocked;
        }
    }

    private Boolean commitBlocked(Connection c, Duration timeout) {
        long start = System.nanoTime();
        try (Statement st = c.createStatement()) {
            c.setNetworkTimeout(Runnable::run, (int) Math.max(1, timeout.toMillis() * 3));
            AtomicBoolean done = new AtomicBoolean();
            CompletableFuture<Void> cancel = CompletableFuture.runAsync(() -> {
                if (!done.get()) {
                    try {
                        st.cancel();
                    } catch (SQLException | RuntimeException ignored) {
                        // the network timeout ends the wait instead
                    }
                }
            }, CompletableFuture.delayedExecutor(timeout.toNanos(), TimeUnit.NANOSECONDS, executor));
            boolean cancelled = false;
            try {
                st.execute(COMMIT_CHECK);
            } catch (SQLException e) {
                if (!"57014".equals(e.getSQLState())) {
                    throw e;
                }
                cancelled = true;
            } finally {
                done.set(true);
                cancel.cancel(false);
            }
            boolean warned = false;
            for (java.sql.SQLWarning w = st.getWarnings(); w != null; w = w.getNextWarning()) {
                warned |= String.valueOf(w.getMessage()).contains("synchronous replication");
            }
            return cancelled || warned || System.nanoTime() - start >= timeout.toNanos();
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState()) || "42883".equals(e.getSQLState())) {
                // Not allowed to this user (or no such function): no commit check, said once.
                commitCheckUnavailable = true;
                log.info("Health monitor: no commit check ({}: {}); blocked commits will not be reported",
                        e.getSQLState(), e.getMessage());
            }
            return null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Aborts the check's connection: a check in progress is cut short, later ones say nothing. */
    @Override
    public void close() {
        closed = true;
        Connection cc = commitConnection; // not under commitLock: a check in progress is cut short
        if (cc != null) {
            try {
                cc.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                JdbcProbe.closeQuietly(cc);
            }
        }
    }
}
