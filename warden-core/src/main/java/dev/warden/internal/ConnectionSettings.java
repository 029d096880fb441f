package dev.warden.internal;

import com.zaxxer.hikari.HikariConfig;
import dev.warden.Pooler;
import dev.warden.Secret;
import dev.warden.WardenConfig;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * How every connection Warden opens is set up: the pool's HikariCP settings, and the pgjdbc
 * properties of the pool's connections, of the health monitor's probe connection and of the direct
 * connections made while waiting for the database at start-up. One place, so that no connection is
 * opened without the settings that keep a dead network from hanging a thread:
 * <ul>
 * <li>{@code connectTimeout} bounds the TCP connect;</li>
 * <li>{@code loginTimeout} bounds the whole connection set-up (TCP, TLS, start-up, authentication),
 *     which {@code connectTimeout} does not: behind a silently dropped network the TCP connect may
 *     succeed (a proxy, a load balancer) and the server's answer never come;</li>
 * <li>{@code socketTimeout} bounds every wait for the server's answer on an open connection;</li>
 * <li>{@code tcpKeepAlive} lets the kernel notice a dead peer on an idle connection.</li>
 * </ul>
 * pgjdbc 42.7 has no client-side {@code TCP_USER_TIMEOUT} nor keepalive timing options (libpq's
 * {@code tcp_user_timeout}, {@code keepalives_idle}): the kernel's keepalive timing applies, which is
 * why Warden does not rely on TCP to notice a partition, but on its probe's timeout and on aborting
 * the connections in use when the database is declared unreachable.
 */
public final class ConnectionSettings {

    private final WardenConfig config;
    private final String jdbcUrl;
    private final String user;
    private final Secret password;

    /**
     * @param config   the configuration
     * @param jdbcUrl  the URL connections go to (the configured one, or the embedded database's), without credentials
     * @param user     who they log in as (configured, from the URL, or the embedded server's)
     * @param password that user's password, possibly empty
     */
    public ConnectionSettings(WardenConfig config, String jdbcUrl, String user, Secret password) {
        this.config = config;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
    }

    /** The JDBC URL every connection goes to. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /**
     * Where the pool's physical connections come from: the driver, with the pool's properties
     * ({@link #poolProperties()}), keeping track of them so that they can all be aborted.
     */
    public PoolConnections poolConnections() {
        return new PoolConnections(jdbcUrl, poolProperties());
    }

    /**
     * The pool settings Warden runs with, its connections opened by {@code connections}; see
     * docs/configuration.md for why each one is set.
     */
    public HikariConfig pool(PoolConnections connections) {
        HikariConfig h = new HikariConfig();
        h.setPoolName(config.service().applicationName() + "-pool");
        // Credentials and driver properties are the source's (poolProperties): Hikari would pass
        // a username to getConnection(user, password) instead.
        h.setDataSource(connections);
        h.setMaximumPoolSize(config.pool().maxSize());
        h.setMinimumIdle(config.pool().maxSize());
        h.setConnectionTimeout(config.pool().acquireTimeout().toMillis());
        // Transactions begin on their first statement; no per-transaction setAutoCommit round trip.
        h.setAutoCommit(false);
        // Warden waits for the database itself (with backoff and a deadline); the pool must not throw at build.
        h.setInitializationFailTimeout(-1);
        // Idle connections are pinged every 60 s: a connection dropped by a NAT or firewall is found
        // while idle, not by the next transaction (Hikari's minimum is 30 s).
        h.setKeepaliveTime(Duration.ofSeconds(60).toMillis());
        h.setMaxLifetime(Duration.ofMinutes(30).toMillis());
        return h;
    }

    /** Driver properties of the pool's connections, credentials included. */
    public Properties poolProperties() {
        Properties p = credentials();
        p.putAll(network(config.database().socketTimeout()));
        p.setProperty("ApplicationName", config.service().applicationName());
        if (config.pool().pooler() != Pooler.NONE) {
            // Behind a pooler nothing goes in the start-up packet (stock PgBouncer refuses options and
            // search_path in session and transaction mode alike, or drops them with
            // ignore_startup_parameters): the statement timeout and the search path are set per
            // transaction (perTransaction()).
            return sessionless(p);
        }
        if (!config.schemas().application().equals(List.of("public"))) {
            // Sent in the start-up packet, no round trip: the application's queries see its schemas
            // first, as the migrations and seeders do.
            p.setProperty("currentSchema", String.join(",", config.schemas().application()) + ",public");
        }
        if (!config.tx().statementTimeout().isZero()) {
            p.setProperty("options", "-c statement_timeout=" + config.tx().statementTimeout().toMillis());
        }
        return p;
    }

    /**
     * The statements that give each transaction what the start-up packet gives it without a
     * pooler ({@code SET LOCAL statement_timeout}, {@code SET LOCAL search_path});
     * empty when nothing is needed per transaction.
     */
    public String perTransaction() {
        if (config.pool().pooler() == Pooler.NONE) {
            return "";
        }
        StringBuilder sql = new StringBuilder();
        if (!config.schemas().application().equals(List.of("public"))) {
            sql.append("SET LOCAL search_path = ").append(String.join(", ", config.schemas().application()))
                    .append(", public");
        }
        if (!config.tx().statementTimeout().isZero()) {
            if (!sql.isEmpty()) {
                sql.append("; ");
            }
            sql.append("SET LOCAL statement_timeout = ").append(config.tx().statementTimeout().toMillis());
        }
        return sql.toString();
    }

    /**
     * No server-side prepared statement (pgjdbc would otherwise name its fifth use of a statement,
     * COMMIT and ROLLBACK included, and run that name on whichever server connection the pooler
     * gives next) when the pooler shares server sessions between clients.
     */
    private Properties sessionless(Properties p) {
        if (config.pool().pooler().sharesSessions()) {
            p.setProperty("prepareThreshold", "0");
        }
        return p;
    }

    /**
     * Driver properties of the health monitor's probe connection. The probe bounds each round trip
     * itself (a network timeout of the probe timeout); the socket timeout here only ends a
     * connection attempt the probe has already given up on, so that such attempts do not pile up
     * while the network is silent.
     */
    public Properties probe(Duration probeTimeout) {
        Properties p = credentials();
        p.putAll(network(Duration.ofSeconds(Math.max(1, (probeTimeout.toMillis() + 999) / 1000))));
        // The probe waits for its own attempts within its timeout; pgjdbc's login timeout would add
        // a thread per attempt for nothing.
        p.remove("loginTimeout");
        p.setProperty("ApplicationName", config.service().applicationName() + "-monitor");
        return sessionless(p);
    }

    /** Driver properties of a direct connection outside the pool, e.g. the start-up's reachability check. */
    public Properties direct(String purpose) {
        Properties p = credentials();
        p.putAll(network(config.database().socketTimeout()));
        p.setProperty("ApplicationName", config.service().applicationName() + "-" + purpose);
        return sessionless(p);
    }

    /**
     * A data source for connections outside the pool that run long work (the initialisation's lock
     * session and migrations), with the same network settings and its own socket timeout.
     */
    public PGSimpleDataSource dataSource(String purpose, Duration socketTimeout) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(jdbcUrl);
        ds.setUser(user);
        if (!password.isEmpty()) {
            ds.setPassword(password.reveal());
        }
        ds.setApplicationName(config.service().applicationName() + "-" + purpose);
        int connect = (int) Math.max(1, config.database().connectTimeout().toSeconds());
        ds.setConnectTimeout(connect);
        ds.setLoginTimeout(connect);
        ds.setSocketTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, socketTimeout.toSeconds())));
        ds.setTcpKeepAlive(true);
        if (config.pool().pooler().sharesSessions()) {
            ds.setPrepareThreshold(0);
        }
        return ds;
    }

    private Properties credentials() {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (!password.isEmpty()) {
            p.setProperty("password", password.reveal());
        }
        return p;
    }

    /** The settings that keep a dead network from hanging a thread (see the class comment). */
    private Properties network(Duration socketTimeout) {
        Properties p = new Properties();
        String connect = String.valueOf(config.database().connectTimeout().toSeconds());
        p.setProperty("connectTimeout", connect);
        p.setProperty("loginTimeout", connect);
        p.setProperty("socketTimeout", String.valueOf(Math.max(1, socketTimeout.toSeconds())));
        p.setProperty("tcpKeepAlive", "true");
        return p;
    }
}
