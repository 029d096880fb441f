package dev.warden;

import dev.warden.internal.HealthReports;
import dev.warden.internal.ReadinessGate;
import dev.warden.internal.StartSequence;
import dev.warden.internal.WardenInternals;
import dev.warden.internal.health.HealthMonitor;
import dev.warden.internal.health.WardenMetrics;
import dev.warden.internal.init.Initializer;
import dev.warden.internal.lifecycle.StateMachine;
import dev.warden.internal.tx.Transactions;
import dev.warden.internal.tx.TxCounters;
import dev.warden.spi.InitLock;
import dev.warden.spi.Seeder;
import dev.warden.tx.TransactionBuilder;
import dev.warden.tx.TxAction;
import dev.warden.tx.TxStats;
import dev.warden.tx.TxWork;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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

    static {
        WardenInternals.install(new WardenInternals.Access() {
            @Override
            public TxCounters counters(Warden w) {
                return w.stats;
            }

            @Override
            public dev.warden.internal.tx.ManagedTransactions managed(Warden w) {
                Transactions t = w.startSequence.transactions();
                return t == null ? null : t.managed();
            }
        });
    }

    private final WardenConfig config;
    private final TxCounters stats = new TxCounters();
    private final StateMachine lifecycle = new StateMachine();
    private final HealthMonitor monitor;
    private final MeterRegistry meterRegistry;
    private final String owner;
    private final StartSequence startSequence;
    private final ReadinessGate gate;
    private final HealthReports reports;
    private final Object startLock = new Object();
    private volatile Thread starting;
    private volatile boolean closing;
    private volatile RuntimeException startFailure;

    private Warden(Builder b) {
        WardenConfig c = b.config != null ? b.config : WardenConfig.fromEnvironment();
        if (!b.migrations.isEmpty() && c.init().migrations().isEmpty()) {
            c = c.withInit(c.init().withMigrations(b.migrations));
        }
        this.config = c;
        this.meterRegistry = b.meterRegistry;
        this.owner = ownerName(config.service().applicationName());
        MonitorSettings m = config.monitor();
        this.monitor = new HealthMonitor(lifecycle, new HealthMonitor.Settings(m.interval(), m.timeout(), m.failures(),
                m.recoveryInterval(), m.stallBound(), HealthMonitor.Settings.DEFAULT_COMMIT_CHECK));
        // On SIGTERM the embedded server (when Warden runs one) stops only after this Warden has drained.
        this.startSequence = new StartSequence(config, lifecycle, monitor, stats, meterRegistry,
                new StartSequence.InitParts(b.seeders, b.initLock, owner), this::close);
        this.gate = new ReadinessGate(config, lifecycle, monitor, startSequence);
        this.reports = new HealthReports(config, lifecycle, stats, monitor, startSequence);
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
                startSequence.run(() -> closing);
                return this;
            } catch (RuntimeException e) {
                startFailure = e;
                throw e;
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

    /** The initialisation's status; empty when there is nothing to initialise or start() has not got there. */
    public Optional<InitStatus> initStatus() {
        return startSequence.initStatus();
    }

    /** This process's name in the initialisation records ({@code warden.init_epochs.owner}). */
    public String owner() {
        return owner;
    }

    /**
     * Runs {@code work} in one transaction with the configured defaults: commit once when it
     * returns, roll back when it throws. See {@link TransactionBuilder#call(TxWork)} for the full
     * contract.
     */
    public <T> T inTransaction(TxWork<T> work) {
        Transactions t = gate.ready();
        try {
            return t.inTransaction(work);
        } catch (WardenException e) {
            throw gate.afterFailure(e);
        }
    }

    /** Like {@link #inTransaction(TxWork)} for work without a result. */
    public void useTransaction(TxAction work) {
        Transactions t = gate.ready();
        try {
            t.transaction().run(work);
        } catch (WardenException e) {
            throw gate.afterFailure(e);
        }
    }

    /** Starts describing a transaction with options (read-only, isolation, timeout, retry, label). */
    public TransactionBuilder transaction() {
        return gate.ready().transaction();
    }

    /**
     * The pool, for libraries that need a {@link DataSource} (Flyway, Jdbi). Its connections have
     * auto-commit off. Prefer {@link #inTransaction(TxWork)} for application work.
     */
    public DataSource dataSource() {
        gate.ready();
        return startSequence.pool();
    }

    /**
     * The transaction counters of {@link #health()} and the metrics, read-only. Transaction engines built on
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
        gate.ready();
        return startSequence.guardedPool();
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

    /**
     * Whether the orchestrator should route traffic here (the readiness probe): true in READY, and
     * in DEGRADED for the first {@code WARDEN_READINESS_GRACE} of the outage (0 by default), so
     * that a blip shorter than the grace does not take every replica out of the Service at once.
     * Work in DEGRADED still fails fast with {@link DatabaseUnavailableException} during the grace.
     */
    public boolean readyForTraffic() {
        State s = lifecycle.state();
        if (s == State.READY) {
            return true;
        }
        Duration grace = config.service().readinessGrace();
        return s == State.DEGRADED && !grace.isZero()
                && java.time.Instant.now().isBefore(lifecycle.since().plus(grace));
    }

    /** A read-only view of the state machine: history, transition counts, listeners, start-up progress. */
    public Lifecycle lifecycle() {
        return lifecycle.view();
    }

    /** The registry Warden's and the pool's meters are in, when one was given to the builder. */
    public Optional<MeterRegistry> meterRegistry() {
        return Optional.ofNullable(meterRegistry);
    }

    /** A report of state, database, pool and transaction figures; never contains a secret. */
    public HealthReport health() {
        return reports.report();
    }

    /**
     * The database user this Warden's connections use: the one the server reported once it answered,
     * before that the one it will connect as ({@code WARDEN_DB_USER}, else the URL's {@code user}, else
     * {@code postgres}; the embedded server's own user when it runs one).
     */
    public String user() {
        return startSequence.user();
    }

    /** The embedded database, when Warden runs one (for tests and drills that stop and start it). */
    public java.util.Optional<EmbeddedDatabase> embeddedDatabase() {
        return java.util.Optional.ofNullable(startSequence.embedded());
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
            // A start blocked on a silent network does not see the interrupt: cut its connections.
            startSequence.abortInitialisation();
        }
        synchronized (startLock) {
            State state = lifecycle.state();
            if (state == State.STOPPED || state == State.STOPPING) {
                return;
            }
            boolean serving = state == State.READY || state == State.DEGRADED;
            moveTo(State.STOPPING, serving ? "close() called: draining, new work refused (WARDEN_DRAIN_TIMEOUT "
                    + WardenConfig.format(config.service().drainTimeout()) + ")" : "close() called");
            String drained = serving ? startSequence.drain(config.service().drainTimeout()) : "closed";
            startSequence.close();
            moveTo(State.STOPPED, drained);
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
