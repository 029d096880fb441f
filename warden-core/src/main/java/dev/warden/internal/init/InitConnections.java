package dev.warden.internal.init;

import dev.warden.InitSettings;
import dev.warden.Pooler;
import dev.warden.Secret;
import dev.warden.spi.InitLock;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The connections the initialisation opens outside the application's pool, each with settings that
 * fit its work, and each one cut at once by {@link #abortAll()} (a close during start-up) so that no
 * thread waits on a silent network:
 * <ul>
 *   <li><b>sessions</b> (the lock session, the waiters' kept session): short socket timeout (half of
 *   {@code WARDEN_INIT_IDLE_TIMEOUT}); the lock holder's session heartbeats and is ended by the
 *   server ({@code idle_session_timeout}) when the heartbeats stop;</li>
 *   <li><b>work</b> (wipe, seeders, Warden's records): the server ends a transaction left
 *   idle longer than {@code WARDEN_INIT_IDLE_TIMEOUT} ({@code idle_in_transaction_session_timeout}),
 *   so a dead holder's locks are freed; the socket timeout stays long, but work connections are
 *   aborted as soon as the holder loses its lock session. The server does not see that abort while
 *   a statement runs, nor does it count a session as idle in the middle of a pipelined batch (no
 *   Sync yet), so the holder's work is named after its token too ({@link #holderWork}) and the next
 *   holder ends such work ({@link HolderConnections#endEarlier});</li>
 *   <li><b>migrations</b> (Flyway's): no idle or socket timeout at all, since a migration tool may
 *   legitimately leave a connection idle, or in a transaction, while a statement runs for as long as
 *   it takes. Their holder is judged by its lock session only: they are aborted when it is lost, and
 *   the next holder ends them on the server ({@link HolderConnections#endEarlier}) before it works.
 *   Each is named in {@code pg_stat_activity} after its application, lock and fencing token.</li>
 * </ul>
 * Both kinds ask the server to probe the client with TCP keepalives and give up on unacknowledged
 * data after {@code tcp_user_timeout}: settings any ordinary (non-superuser) role may set.
 */
public final class InitConnections implements AutoCloseable {

    private final PGSimpleDataSource sessions;
    private final PGSimpleDataSource work;
    private final InitSettings settings;
    private final String url;
    private final String user;
    private final Secret password;
    private final String applicationName;
    private final int connectSeconds;
    private final int workSocketSeconds;
    private final boolean bare;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final Set<Connection> openWork = ConcurrentHashMap.newKeySet();
    private volatile boolean aborted;
    private final boolean sessionless;

    /**
     * @param url             the JDBC URL
     * @param user            the database user
     * @param password        its password (may be empty)
     * @param applicationName shown in {@code pg_stat_activity} with {@code -init} appended
     * @param connectTimeout  longest wait to open a connection
     * @param settings        the initialisation's settings (idle timeout, init timeout)
     */
    public InitConnections(String url, String user, Secret password, String applicationName, Duration connectTimeout,
                           InitSettings settings) {
        this(url, user, password, applicationName, connectTimeout, settings, Pooler.NONE);
    }

    /**
     * @param pooler what stands between {@code url} and the server: behind any pooler nothing goes in
     *               the start-up packet (stock PgBouncer refuses {@code options} in session mode too);
     *               behind a transaction-mode pooler no session state is trusted either
     */
    public InitConnections(String url, String user, Secret password, String applicationName, Duration connectTimeout,
                           InitSettings settings, Pooler pooler) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sessionless = pooler.sharesSessions();
        this.bare = pooler != Pooler.NONE;
        this.url = url;
        this.user = user;
        this.password = password;
        this.applicationName = applicationName;
        Duration idle = settings.idleTimeout();
        int connectSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, connectTimeout.toSeconds()));
        this.connectSeconds = connectSeconds;
        this.sessions = dataSource(url, user, password, applicationName + "-init", connectSeconds,
                (int) Math.max(1, idle.toSeconds() / 2), bare ? null : serverOptions(idle, false));
        // Migrations may run long statements: the socket timeout is only the last resort here; a
        // dead network is noticed by the lock session's heartbeat, which aborts these connections.
        this.workSocketSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, settings.timeout().toSeconds()));
        this.work = dataSource(url, user, password, applicationName + "-init", connectSeconds, workSocketSeconds,
                bare ? null : serverOptions(idle, true));
    }

    private static PGSimpleDataSource dataSource(String url, String user, Secret password, String name, int connectSeconds,
                                                 int socketSeconds, String options) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        ds.setUser(user);
        if (!password.isEmpty()) {
            ds.setPassword(password.reveal());
        }
        ds.setApplicationName(name);
        ds.setConnectTimeout(connectSeconds);
        ds.setSocketTimeout(socketSeconds);
        ds.setTcpKeepAlive(true);
        if (options != null) {
            ds.setOptions(options);
        } else {
            ds.setPrepareThreshold(0);
        }
        return ds;
    }

    /**
     * Server-side settings sent in the start-up packet (no round trip): keepalive probes and a
     * user timeout so the server notices a dead client; on work connections also the idle
     * transaction limit that frees a dead holder's row and table locks.
     */
    static String serverOptions(Duration idle, boolean work) {
        long idleS = Math.max(1, idle.toSeconds());
        StringBuilder o = new StringBuilder()
                .append("-c tcp_keepalives_idle=").append(Math.max(1, idleS / 4))
                .append(" -c tcp_keepalives_interval=").append(Math.max(1, idleS / 8))
                .append(" -c tcp_keepalives_count=3")
                .append(" -c tcp_user_timeout=").append(idle.toMillis());
        if (work) {
            o.append(" -c idle_in_transaction_session_timeout=").append(idle.toMillis());
        }
        return o.toString();
    }

    /** Opens a session for a lock or a waiter (short socket timeout). */
    public Connection session() throws SQLException {
        return track(sessions.getConnection(), false);
    }

    /** Opens a connection for the holder's work (wipe, migrations, seeders, records). */
    public Connection work() throws SQLException {
        return track(work.getConnection(), true);
    }

    private Connection track(Connection c, boolean isWork) throws SQLException {
        open.removeIf(InitConnections::closed);
        openWork.removeIf(InitConnections::closed);
        open.add(c);
        if (isWork) {
            openWork.add(c);
        }
        if (aborted) {
            abort(c);
            throw new SQLException("The initialisation's connections were aborted (Warden is closing)", "08003");
        }
        return c;
    }

    private static boolean closed(Connection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    /** The work connections as a DataSource, for Flyway. */
    public DataSource workDataSource() {
        return new WorkDataSource(work);
    }

    /**
     * Flyway's connections for the holder with this fencing token: no idle-in-transaction limit and
     * no socket timeout (see the class comment), cut with the other work connections when the lock
     * is lost. Named {@code <app>-migrate-<lock id>-<token>} so that the next holder can find them.
     */
    public DataSource migrationDataSource(Initializer.Plan plan, long token) {
        String name = HolderConnections.name(applicationName, HolderConnections.MIGRATE, lockId(plan), token);
        return new WorkDataSource(dataSource(url, user, password, name, connectSeconds, 0,
                bare ? null : serverOptions(settings.idleTimeout(), false)));
    }

    /**
     * The work connections (wipe, seeders, Warden's records) of the holder with this fencing token:
     * as {@link #work()}, named {@code <app>-work-<lock id>-<token>} so that the next holder can end
     * what this one leaves on the server.
     */
    public DataSource holderWork(Initializer.Plan plan, long token) {
        String name = HolderConnections.name(applicationName, HolderConnections.WORK, lockId(plan), token);
        return new WorkDataSource(dataSource(url, user, password, name, connectSeconds,
                workSocketSeconds, bare ? null : serverOptions(settings.idleTimeout(), true)));
    }

    /** The id of this plan's lock in its holders' connection names. */
    public static String lockId(Initializer.Plan plan) {
        return HolderConnections.lockId(plan.wardenSchema(), plan.schemas());
    }

    /** The lock {@code WARDEN_INIT_LOCK} names, scoped to this plan's application. */
    public InitLock lock(Initializer.Plan plan) {
        String name = InitSchema.lockName(plan.schemas());
        return switch (settings.lock().kind()) {
            case ADVISORY -> sessionless ? refuseAdvisory() : new AdvisoryInitLock(this::session, plan.wardenSchema(), name, settings.idleTimeout());
            case LEASE -> new LeaseInitLock(this::session, plan.wardenSchema(), name, settings.lock().leaseTtl(),
                    settings.lock().heartbeat());
        };
    }

    private static InitLock refuseAdvisory() {
        throw new dev.warden.ConfigException(List.of("WARDEN_INIT_LOCK=advisory cannot be trusted behind a"
                + " transaction-mode pooler (WARDEN_POOLER=transaction): a session advisory lock is held by a server"
                + " connection other clients share. Set WARDEN_INIT_DB_URL to a URL straight to the server"
                + " (recommended), or WARDEN_INIT_LOCK=lease"));
    }

    /** Cuts the work connections now (the holder lost its lock: its work must stop). */
    public void abortWork() {
        openWork.forEach(InitConnections::abort);
    }

    /** Cuts every connection now and refuses new ones: a close during start-up. */
    public void abortAll() {
        aborted = true;
        open.forEach(InitConnections::abort);
    }

    /** True once {@link #abortAll()} ran. */
    public boolean aborted() {
        return aborted;
    }

    private static void abort(Connection c) {
        try {
            if (!c.isClosed()) {
                c.abort(Runnable::run);
            }
        } catch (SQLException | RuntimeException ignored) {
            // it is being cut either way
        }
    }

    /** Closes whatever is still open. */
    @Override
    public void close() {
        for (Connection c : open) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // unusable either way
            }
        }
        open.clear();
        openWork.clear();
    }

    private final class WorkDataSource implements DataSource {
        private final PGSimpleDataSource source;

        WorkDataSource(PGSimpleDataSource source) {
            this.source = source;
        }

        @Override public Connection getConnection() throws SQLException { return track(source.getConnection(), true); }
        @Override public Connection getConnection(String u, String p) throws SQLException {
            throw new SQLFeatureNotSupportedException("the initialisation's connections have fixed credentials");
        }
        @Override public PrintWriter getLogWriter() { return null; }
        @Override public void setLogWriter(PrintWriter out) { }
        @Override public void setLoginTimeout(int seconds) { }
        @Override public int getLoginTimeout() { return 0; }
        @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }
        @Override public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }
        @Override public boolean isWrapperFor(Class<?> iface) { return false; }
    }
}
