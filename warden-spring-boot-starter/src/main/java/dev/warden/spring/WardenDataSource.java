package dev.warden.spring;

import com.zaxxer.hikari.HikariDataSource;
import dev.warden.DatabaseUnavailableException;
import dev.warden.NotReadyException;
import dev.warden.Warden;
import dev.warden.internal.WardenInternals;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.util.Objects;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The application's {@link DataSource}: Warden's guarded pool behind Warden's readiness gate. Every
 * {@link #getConnection()} passes the gate first: before READY it waits up to
 * {@code warden.ready.wait} and then throws {@link NotReadyException}; while the database is known
 * to be down (DEGRADED) it throws {@link DatabaseUnavailableException} at once, and a caller already
 * waiting for a pooled connection gets it as soon as the health monitor finds the database down. So
 * nothing reaches the database before the exactly-once initialisation is done.
 *
 * <p>Connections come with auto-commit on, as Spring expects outside a transaction (a
 * {@code JdbcTemplate} call outside {@code @Transactional} commits its statement); inside a Spring
 * transaction the transaction manager turns it off. Switching it is local to pgjdbc: no round trip.
 *
 * <p>While a transaction runs on a connection (auto-commit off), SQL that would end it (COMMIT,
 * ROLLBACK, END, BEGIN, … sent as SQL, through a {@code JdbcTemplate}, a native query or any statement
 * made on the connection) is refused before it is sent, with an {@link IllegalStateException}, and a
 * statement that ended it anyway is caught: Warden's transaction managers then roll the transaction
 * back at commit instead of reporting one clean commit, exactly as inside Warden's own
 * {@code warden.transaction(…)}. Commit and rollback through the JDBC API stay with the transaction
 * manager (and Hibernate under it).
 */
public final class WardenDataSource implements DataSource {

    private final Warden warden;
    /** The pool, once the gate has let a caller through: eviction must work in DEGRADED too. */
    private volatile DataSource pool;

    public WardenDataSource(Warden warden) {
        this.warden = Objects.requireNonNull(warden, "warden");
    }

    /** The Warden behind it. */
    public Warden warden() {
        return warden;
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            RetryScope.connectionOutsideTransaction(); // auto-commit: a retry must not run it again
        }
        DataSource p = warden.guardedDataSource();
        pool = p;
        Connection c;
        try {
            c = p.getConnection();
        } catch (SQLTransientConnectionException e) {
            if (e.getCause() instanceof DatabaseUnavailableException down) {
                throw down; // the monitor found the database down while this caller waited: as the gate says it
            }
            throw e;
        }
        try {
            c.setAutoCommit(true);
            return WardenInternals.guardTransactionControl(c, true);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Takes a connection out of the pool for good (it is broken or in an unknown state) instead of
     * returning it; the pool opens a fresh one. False when the pool cannot evict.
     */
    boolean evict(Connection connection) {
        DataSource p = pool;
        try {
            if (p != null && p.isWrapperFor(HikariDataSource.class)) {
                p.unwrap(HikariDataSource.class).evictConnection(WardenInternals.pooled(connection));
                return true;
            }
        } catch (SQLException e) {
            return false;
        }
        return false;
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("Warden's pool connects as its configured user (warden.db.user)");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // Warden logs through SLF4J.
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // Set by warden.db.connect.timeout.
    }

    @Override
    public int getLoginTimeout() {
        return (int) warden.config().database().connectTimeout().toSeconds();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("Warden logs through SLF4J");
    }

    /**
     * Unwraps to this, or (once Warden has been READY) to the pool, e.g. {@code HikariDataSource}.
     * Never waits on the readiness gate: tools that inspect data sources at start-up must not block.
     */
    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        DataSource p = poolIfStarted();
        if (p == null) {
            throw new SQLException("Warden is " + warden.state() + ", not READY: its pool is not open yet");
        }
        return p.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return true;
        }
        DataSource p = poolIfStarted();
        return p != null && p.isWrapperFor(iface);
    }

    private DataSource poolIfStarted() {
        DataSource p = pool;
        if (p == null && warden.state() == dev.warden.State.READY) {
            try {
                p = pool = warden.guardedDataSource();
            } catch (RuntimeException leftReady) {
                return null;
            }
        }
        return p;
    }

    @Override
    public String toString() {
        return "WardenDataSource[" + warden.state() + "]";
    }
}
