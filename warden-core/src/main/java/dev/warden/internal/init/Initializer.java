package dev.warden.internal.init;

import dev.warden.InitFailedException;
import dev.warden.InitSettings;
import dev.warden.InitStatus;
import dev.warden.LeaseLostException;
import dev.warden.spi.InitLock;
import dev.warden.spi.Seeder;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one epoch's initialisation exactly once across every process of one application that
 * shares the database:
 * <ol>
 *   <li>epoch COMPLETED already? done;</li>
 *   <li>otherwise take the {@link InitLock} (or wait for its holder, polling through one kept
 *   session, with progress), and re-check;</li>
 *   <li>the holder's steps ({@link HolderRun}): IN_PROGRESS with a fencing token, wipe, migrate, seed
 *   and mark COMPLETED in one transaction that verifies the lock and the token.</li>
 * </ol>
 * A holder that dies, is cut off, loses its lock session or is stopped leaves the epoch
 * IN_PROGRESS; the next process to take the lock takes over. Only a failure of the wipe, the
 * migrations or the seeders counts: after {@link InitSettings#attempts()} of them every process
 * gives up. Everything else (lost connections, a server refusing connections for now, an outage)
 * is waited out until {@link InitSettings#timeout()}, and a process never gives up while another
 * one's attempt runs.
 */
public final class Initializer {

    private static final Logger log = LoggerFactory.getLogger(Initializer.class);

    /** A seeder and the version of its data; a new version makes a new epoch. */
    public record NamedSeeder(String version, Seeder seeder) {
        public NamedSeeder {
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(seeder, "seeder");
        }
    }

    /** Everything that defines the initialisation. */
    public record Plan(InitSettings settings, List<String> schemas, String wardenSchema, List<NamedSeeder> seeders,
                       ClassLoader classLoader) {
        public Plan {
            Objects.requireNonNull(settings, "settings");
            schemas = List.copyOf(schemas);
            seeders = List.copyOf(seeders);
            Objects.requireNonNull(wardenSchema, "wardenSchema");
            Objects.requireNonNull(classLoader, "classLoader");
        }

        /** True when there is anything to initialise: an epoch, a wipe, migrations or seeders. */
        public boolean needed() {
            return settings.epoch().isPresent() || settings.wipe() || !settings.migrations().isEmpty()
                    || !seeders.isEmpty();
        }

        /** The application's scope: epochs and the lock are named within it. */
        public String scope() {
            return InitSchema.scope(schemas);
        }
    }

    private final Plan plan;
    private final InitConnections connections;
    private final InitLock lock;
    private final String owner;
    private final Consumer<String> progress;
    private volatile InitStatus status;
    private volatile String epoch;

    /**
     * @param plan        what to do
     * @param connections the initialisation's own connections (not the application's pool: long
     *                    migrations must not meet the pool's timeouts)
     * @param lock        the cross-process lock
     * @param owner       this process's name in the records, unique per process
     * @param progress    receives a line whenever the initialisation moves on
     */
    public Initializer(Plan plan, InitConnections connections, InitLock lock, String owner, Consumer<String> progress) {
        this.plan = Objects.requireNonNull(plan, "plan");
        this.connections = Objects.requireNonNull(connections, "connections");
        this.lock = Objects.requireNonNull(lock, "lock");
        this.owner = Objects.requireNonNull(owner, "owner");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /** The latest status; empty before {@link #run()} has named the epoch. */
    public Optional<InitStatus> status() {
        return Optional.ofNullable(status);
    }

    /**
     * Makes sure the epoch is initialised, by this process or another, within
     * {@link InitSettings#timeout()}.
     *
     * @throws InitFailedException the epoch failed {@code attempts} times, or time ran out
     */
    public InitStatus run() {
        long started = System.nanoTime();
        // WARDEN_INIT_TIMEOUT, not counting the time a live holder (this process or another) runs migrations.
        InitBudget budget = new InitBudget(plan.settings().timeout());
        Flyway flyway;
        try {
            flyway = plan.settings().migrations().isEmpty() ? null : flyway();
        } catch (RuntimeException badConfig) {
            throw new InitFailedException("Cannot set up the migrations " + plan.settings().migrations()
                    + " (WARDEN_MIGRATIONS): " + badConfig.getMessage(), badConfig);
        }
        String lastWait = null;
        int otherErrors = 0;
        long pollMs = 25;
        long faultBackoffMs = 100;
        int failedHere = 0;
        Epochs epochs = null;
        try (KeptSession kept = new KeptSession(connections::session)) {
            while (true) {
                long sleepMs = pollMs;
                try {
                    if (epochs == null) {
                        kept.call(c -> {
                            InitSchema.ensure(c, plan.wardenSchema());
                            InitSchema.refuseOverlap(c, plan.wardenSchema(), plan.schemas());
                            return null;
                        });
                        epoch = plan.settings().epoch().orElseGet(() -> EpochName.derive(flyway, plan));
                        Epochs named = new Epochs(plan.wardenSchema(), plan.scope(), epoch, owner);
                        kept.call(c -> {
                            named.adoptLegacy(c);
                            return null;
                        });
                        epochs = named;
                        report(InitStatus.Status.WAITING, null, Part.NONE, "checking epoch " + epoch, started);
                    }
                    Epochs.Epoch e = kept.call(epochs::read);
                    if (e != null && e.is(InitStatus.Status.COMPLETED)) {
                        return done(e, Part.NONE, started);
                    }
                    giveUpIfExhausted(e);
                    Optional<InitLock.Lease> lease = lock.tryAcquire(owner);
                    if (lease.isPresent()) {
                        try (InitLock.Lease held = lease.get()) {
                            InitStatus s = new HolderRun(this, plan, connections, epochs, owner, budget).run(held, started);
                            if (s != null) {
                                return s;
                            }
                        } catch (LeaseLostException lost) {
                            log.warn("Initialisation of epoch {} stopped: {}", epoch, lost.getMessage());
                            progress.accept("lost the init lock: " + lost.getMessage());
                        } catch (InitFailedException fatal) {
                            throw fatal;
                        } catch (HolderRun.AttemptFailedException failed) {
                            failedHere++;
                            log.error("Initialisation of epoch {} failed: {}", epoch, failed.getCause().toString(),
                                    failed.getCause());
                            progress.accept("initialisation failed: " + failed.getCause());
                            sleepMs = Math.min(5000, 250L * failedHere);
                        } catch (Exception fault) {
                            if (stopping()) {
                                Thread.currentThread().interrupt();
                                throw new InitFailedException("Interrupted while initialising epoch " + epoch
                                        + " (Warden is closing); the next process takes over.", fault);
                            }
                            // A lost connection or an outage while holding: not the work's fault, not counted.
                            String wait = "waiting out a database fault while initialising (not counted as an attempt): "
                                    + fault.getMessage();
                            log.warn("{}", wait);
                            progress.accept(wait);
                            sleepMs = faultBackoffMs;
                            faultBackoffMs = Math.min(2000, faultBackoffMs * 2);
                            checkDeadline(budget, fault);
                        }
                        pollMs = 25;
                        budget.observe(false);
                        sleep(budget, sleepMs);
                        continue;
                    }
                    faultBackoffMs = 100;
                    String wait = e == null ? "waiting for the init lock (" + lock.describe() + ")"
                            : "waiting for " + e.owner() + " to initialise epoch " + epoch + " (" + e.status().name().toLowerCase()
                            + ", attempt " + e.attempts() + ")";
                    // The holder's running migration, from its record: logged once per migration, shown with its time.
                    Epochs.RunningMigration m = e != null && e.is(InitStatus.Status.IN_PROGRESS) ? e.migration() : null;
                    // The lock is held by a live process (its heartbeat, or its lease renewed: the lock's own
                    // liveness), and the epoch's row says a migration runs: a migration has no time limit on
                    // its holder, so this wait does not count against WARDEN_INIT_TIMEOUT.
                    budget.observe(m != null);
                    String logged = m == null ? wait : wait + ": " + MigrationProgress.name(m.version(), m.description(),
                            m.inTransaction());
                    if (!logged.equals(lastWait)) {
                        log.info("{}", logged);
                        lastWait = logged;
                    }
                    String shown = m == null ? wait : logged + ", running " + m.running().toSeconds() + "s";
                    report(InitStatus.Status.WAITING, e, Part.NONE, shown, started);
                } catch (InitFailedException fatal) {
                    throw fatal;
                } catch (Exception fault) {
                    budget.observe(false);
                    if (stopping()) {
                        Thread.currentThread().interrupt();
                        throw new InitFailedException("Interrupted while waiting for the initialisation of epoch "
                                + (epoch == null ? "(not yet named)" : epoch) + " (Warden is closing)", fault);
                    }
                    // Lost connections and a server refusing new ones for now are waited out until the
                    // deadline; anything else (a bad migration location, a schema raced by a concurrent
                    // wipe) gets a few more tries, then ends the start.
                    if (!InitFailures.waitedOut(fault) && ++otherErrors > 3) {
                        throw new InitFailedException("Initialisation of epoch " + (epoch == null ? "(not yet named)"
                                : epoch) + " failed: " + fault.getMessage(), fault);
                    }
                    String wait = "waiting for the database during initialisation: " + fault.getMessage();
                    if (!wait.equals(lastWait)) {
                        log.warn("{}", wait);
                        lastWait = wait;
                    }
                    progress.accept(wait);
                    checkDeadline(budget, fault);
                    if (InitFailures.overloaded(fault)) {
                        // Too many connections: back off, with jitter so that many waiters do not return together.
                        sleepMs = faultBackoffMs / 2 + ThreadLocalRandom.current().nextLong(faultBackoffMs / 2 + 1);
                        faultBackoffMs = Math.min(2000, faultBackoffMs * 2);
                    }
                }
                sleep(budget, sleepMs);
                pollMs = Math.min(250, pollMs * 2);
                if (budget.exhausted()) {
                    Epochs.Epoch e = null;
                    try {
                        e = epochs == null ? null : kept.call(epochs::read);
                    } catch (Exception ignored) {
                        // the timeout is reported either way
                    }
                    throw new InitFailedException("Epoch " + epoch + " was not initialised within "
                            + budget.describe()
                            + (e == null ? "" : "; it is " + e.status() + " by " + e.owner() + " after " + e.attempts()
                            + " attempt(s)") + ". Raise WARDEN_INIT_TIMEOUT if initialisation takes this long.", null);
                }
            }
        }
    }

    private void checkDeadline(InitBudget budget, Exception fault) {
        if (budget.exhausted()) {
            throw new InitFailedException("Initialisation of epoch " + (epoch == null ? "(not yet named)" : epoch)
                    + " did not finish within " + budget.describe() + "; last error: " + fault.getMessage(), fault);
        }
    }

    /** True when this process is stopping (Warden's close()): not a failure of the epoch. */
    boolean stopping() {
        return Thread.currentThread().isInterrupted() || connections.aborted();
    }

    /**
     * Gives up when the epoch's own work failed {@code attempts} times. Never while an attempt runs:
     * an IN_PROGRESS epoch is waited for (its holder is alive while it holds the lock) or taken over.
     */
    void giveUpIfExhausted(Epochs.Epoch e) {
        if (e != null && e.is(InitStatus.Status.FAILED) && e.failures() >= plan.settings().attempts()) {
            report(InitStatus.Status.FAILED, e, Part.NONE, "gave up", System.nanoTime());
            throw new InitFailedException("Epoch " + epoch + " failed " + e.failures() + " time(s), the most that"
                    + " WARDEN_INIT_ATTEMPTS (" + plan.settings().attempts() + ") allows; last error: "
                    + (e.error() == null ? "(none recorded)" : e.error())
                    + ". Fix the cause and deploy a new epoch, or delete the row of epoch '" + epoch + "' from "
                    + plan.wardenSchema() + ".init_epochs to try this one again.", null);
        }
    }

    void progress(String line) {
        progress.accept(line);
    }

    /**
     * This process's part in an epoch: whether it initialised it and whether it took over from a
     * holder that died or stalled.
     */
    record Part(boolean initialized, boolean tookOver) {
        /** A process that waited, or found the epoch done. */
        static final Part NONE = new Part(false, false);

        /** The holder, while it runs the epoch. */
        static Part holding(boolean tookOver) {
            return new Part(false, tookOver);
        }

        /** The holder, once it completed the epoch. */
        static Part completed(boolean tookOver) {
            return new Part(true, tookOver);
        }
    }

    InitStatus done(Epochs.Epoch e, Part part, long started) {
        progress.accept("epoch " + epoch + " initialised by " + (part.initialized() ? "this process" : e.owner()));
        return report(InitStatus.Status.COMPLETED, e, part,
                part.initialized() ? "initialised here" : "initialised by " + e.owner(), started);
    }

    /**
     * Records (and returns) where the initialisation stands: {@code state}, as seen in the epoch's
     * row {@code e} (its holder and attempts; null before it has one), this process's part, the step,
     * and the time spent since {@code started} (a {@link System#nanoTime()}).
     */
    InitStatus report(InitStatus.Status state, Epochs.Epoch e, Part part, String step, long started) {
        InitStatus s = new InitStatus(epoch, state, e == null ? InitStatus.Owner.NONE : e.holder(),
                e == null ? 0 : e.attempts(), state == InitStatus.Status.COMPLETED ? e.finishedAt() : null, step,
                new InitStatus.ThisProcess(part.initialized(), part.tookOver(),
                        Duration.ofNanos(Math.max(0, System.nanoTime() - started))));
        status = s;
        if (state != InitStatus.Status.COMPLETED) {
            progress.accept(step);
        }
        return s;
    }

    private static void sleep(InitBudget budget, long ms) {
        long left = budget.leftMillis();
        try {
            Thread.sleep(Math.max(1, Math.min(ms, left)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InitFailedException("Interrupted while waiting for the initialisation", e);
        }
    }

    Flyway flyway() {
        return flyway(connections.workDataSource());
    }

    /**
     * Flyway on these connections, with Flyway's own lock taken at session level
     * ({@code pg_advisory_lock} on the one connection that also migrates) instead of its default
     * transaction-level lock, which holds a second connection idle in a transaction for the whole
     * migration: a server-side idle limit would end it under a long statement, and a
     * {@code CREATE INDEX CONCURRENTLY} waits for it.
     */
    Flyway flyway(javax.sql.DataSource dataSource, org.flywaydb.core.api.callback.Callback... callbacks) {
        org.flywaydb.core.api.configuration.FluentConfiguration cfg = Flyway.configure(plan.classLoader())
                .dataSource(dataSource)
                .schemas(plan.schemas().toArray(String[]::new))
                .defaultSchema(plan.schemas().getFirst())
                .createSchemas(true)
                .locations(plan.settings().migrations().toArray(String[]::new))
                .failOnMissingLocations(true)
                .callbacks(callbacks);
        cfg.getPluginRegister().getExact(org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension.class)
                .setTransactionalLock(false);
        return cfg.load();
    }
}
