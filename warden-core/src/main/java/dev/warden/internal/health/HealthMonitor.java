package dev.warden.internal.health;

import dev.warden.HealthReport;
import dev.warden.ProbeOutcome;
import dev.warden.State;
import dev.warden.internal.lifecycle.StateMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes the database in the background on one daemon thread ({@code warden-monitor}) and moves the
 * lifecycle between READY and DEGRADED.
 *
 * <p>Guarantees: in READY a probe runs every {@code interval}; after a failed probe the next ones run
 * every {@code recoveryInterval} (± 20 % jitter, so that a fleet's probes spread out). Evidence
 * before verdict: a probe that found the database {@link ProbeOutcome#SILENT} (no query answered
 * within {@code timeout} on its connection nor on a new one, and not even a TCP handshake with the
 * server's address) turns READY into DEGRADED at once, so a silently dropped network or a dead host
 * is declared within {@code interval + timeout}; {@link ProbeOutcome#REFUSED} does so after
 * {@code failures} in a row. A {@link ProbeOutcome#STALLED} server (TCP answers, PostgreSQL does
 * not: stopped, starved, a paused pooler) stays READY and is reported ({@link MonitorSnapshot#stalledSince()}),
 * its work neither aborted nor refused, until the silence has lasted {@code stallBound}; then
 * DEGRADED. A database that answers is never an outage: a {@link ProbeOutcome#SLOW}
 * probe is counted and reported, and a {@link ProbeOutcome#REFUSING_CONNECTIONS} one is overload as
 * long as a connection the pool already holds still answers
 * ({@link PoolActions#existingConnectionsAnswer(Duration)}); neither touches the pool. On DEGRADED
 * the pool's connections, those in use included, are aborted ({@link PoolActions#degraded(boolean)}):
 * no thread waits for a socket timeout on a dead network; a connection whose COMMIT is on the wire
 * is aborted only when the network is gone (SILENT). In DEGRADED a probe runs every
 * {@code recoveryInterval}; the first that reaches the database runs the recovery action and moves
 * back to READY, recording the outage's duration and the time to recover. A recovery that fails is
 * counted and retried at the next probe. {@link #nudge()} runs a probe now (a transaction saw a
 * connection failure), at most once per {@code recoveryInterval}. Probes never overlap.
 */
public final class HealthMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

    /** One probe of the database. */
    @FunctionalInterface
    public interface Probe {
        /**
         * Probes the database for at most about {@code timeout} and says what it found; an
         * exception counts as {@link ProbeOutcome#REFUSED}.
         */
        ProbeFinding probe(Duration timeout) throws Exception;

        /**
         * Commits one write that touches no table, for at most about {@code timeout}: true when
         * the COMMIT did not come back in time, false when it did, null when this probe cannot tell
         * (a read-only pool, no connection).
         */
        default Boolean commitBlocked(Duration timeout) throws Exception {
            return null;
        }
    }

    /** What the monitor does to the pool when the database goes away and comes back. */
    public interface PoolActions {
        /**
         * The database was declared unreachable: end the work waiting on the pool's connections
         * (those in use included) at once, and stop the pool from reconnecting in a tight loop.
         *
         * @param networkGone true when nothing answered even a TCP handshake (SILENT): only then may
         *                    a connection whose COMMIT is on the wire be aborted
         */
        void degraded(boolean networkGone);

        /**
         * The database answered a probe: make the pool usable again within {@code timeout}, or
         * throw. Must not need a free pool slot: at the outage every slot may have been in use.
         */
        void recover(Duration timeout) throws Exception;

        /**
         * The server refuses new connections: true when a connection the pool already holds still
         * answers within {@code timeout}, i.e. the database is overloaded, not gone.
         */
        default boolean existingConnectionsAnswer(Duration timeout) {
            return false;
        }

        /**
         * A count that grows whenever work completes on a pooled connection (e.g. commits): work
         * completing while the probe heard nothing shows the database is not silent.
         */
        default long workDone() {
            return 0;
        }

        /**
         * True once per episode in which threads wait for a connection while no work has completed
         * for a while: not a busy pool (whose work keeps completing) but a stalled one, worth a probe.
         * Called on the monitor thread only.
         */
        default boolean stalled() {
            return false;
        }
    }

    /** Receives the monitor's events (for metrics); called on the monitor thread, must be quick. */
    public interface Listener {
        /** A probe ended with {@code outcome} after {@code nanos}. */
        default void probed(ProbeOutcome outcome, long nanos) {
        }

        /**
         * Warden is READY again.
         *
         * @param outage        from DEGRADED to READY
         * @param timeToRecover from the last failed probe (the last moment the database was known
         *                      down) to READY: an upper bound of how long Warden took to notice
         */
        default void recovered(Duration outage, Duration timeToRecover) {
        }

        /** A probe succeeded in DEGRADED but the pool could not be made usable. */
        default void recoveryFailed() {
        }
    }

    /**
     * The monitor's settings.
     *
     * @param interval         between probes while READY
     * @param timeout          longest a probe may take
     * @param failures         consecutive failed probes that make READY become DEGRADED
     * @param recoveryInterval between probes after a failure and while DEGRADED
     * @param stallBound       how long a server that answers TCP but not queries (STALLED) stays READY
     * @param commitCheckEvery between checks that a write can commit (0: none)
     */
    public record Settings(Duration interval, Duration timeout, int failures, Duration recoveryInterval,
                           Duration stallBound, Duration commitCheckEvery) {
        /** The defaults of WARDEN_STALL_BOUND (8 s) and of the commit check (10 s). */
        public static final Duration DEFAULT_STALL_BOUND = Duration.ofSeconds(8);
        public static final Duration DEFAULT_COMMIT_CHECK = Duration.ofSeconds(10);

        /** Checks the values. */
        public Settings {
            Objects.requireNonNull(interval, "interval");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(recoveryInterval, "recoveryInterval");
            Objects.requireNonNull(stallBound, "stallBound");
            Objects.requireNonNull(commitCheckEvery, "commitCheckEvery");
            if (failures < 1) {
                throw new IllegalArgumentException("failures must be at least 1, got " + failures);
            }
        }

        /** With the default stall bound and commit check. */
        public Settings(Duration interval, Duration timeout, int failures, Duration recoveryInterval) {
            this(interval, timeout, failures, recoveryInterval, DEFAULT_STALL_BOUND, DEFAULT_COMMIT_CHECK);
        }
    }

    /**
     * The last probe.
     *
     * @param at        when it started
     * @param ok        true when the database was reachable (ANSWERED, SLOW, or REFUSING_CONNECTIONS
     *                  while an existing connection answered)
     * @param latencyMs how long it took, in milliseconds (fractional)
     * @param error     why it failed, or null
     * @param outcome   what the probe found
     */
    public record ProbeResult(Instant at, boolean ok, double latencyMs, String error, ProbeOutcome outcome) {
    }

    private final StateMachine lifecycle;
    private final Settings settings;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final MonitorFigures figures = new MonitorFigures();
    private final CommitWatch commits;
    private final Object lock = new Object();
    private ScheduledExecutorService executor;
    private ScheduledFuture<?> next;
    private boolean running;
    private PoolActions pool;
    private ProbeRounds rounds;

    /** A monitor for this lifecycle, not started. */
    public HealthMonitor(StateMachine lifecycle, Settings settings) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.commits = new CommitWatch(settings);
    }

    /** Adds a listener of probes and recoveries. */
    public void addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Starts probing with {@code probe}; it acts only while the lifecycle is READY or DEGRADED.
     * Calling it again does nothing.
     */
    public void start(Probe probe, PoolActions pool) {
        synchronized (lock) {
            if (executor != null) {
                return;
            }
            this.pool = Objects.requireNonNull(pool, "pool");
            this.rounds = new ProbeRounds(lifecycle, settings, Objects.requireNonNull(probe, "probe"), pool,
                    listeners, figures, commits);
            executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "warden-monitor");
                t.setDaemon(true);
                return t;
            });
            next = executor.schedule(this::tick, settings.interval().toNanos(), TimeUnit.NANOSECONDS);
            long every = settings.recoveryInterval().toNanos();
            executor.scheduleAtFixedRate(this::watchStall, every, every, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Runs a probe now instead of at the next interval, unless one is running, one started less than
     * {@code recoveryInterval} ago, or the database is already known to be down. Cheap; call it
     * whenever work fails with a connection error (not when the pool is merely busy).
     */
    public void nudge() {
        synchronized (lock) {
            if (executor == null || executor.isShutdown() || running || next == null
                    || next.getDelay(TimeUnit.NANOSECONDS) <= 0 || lifecycle.state() != State.READY
                    || System.nanoTime() - figures.lastProbeStartNanos < settings.recoveryInterval().toNanos()) {
                return;
            }
            if (next.cancel(false)) {
                next = executor.schedule(this::tick, 0, TimeUnit.NANOSECONDS);
            }
        }
    }

    /**
     * A pool whose waiters see no work complete is stalled (a dead network holds every connection),
     * not busy: probe now instead of at the next interval. A busy pool completes work and triggers
     * nothing.
     */
    private void watchStall() {
        try {
            if (lifecycle.state() == State.READY && pool.stalled()) {
                nudge();
            }
        } catch (RuntimeException e) {
            log.debug("Health monitor: the stall check failed: {}", e.toString());
        }
    }

    private void tick() {
        synchronized (lock) {
            if (executor == null || executor.isShutdown()) {
                return;
            }
            running = true;
        }
        long delayNanos = settings.interval().toNanos();
        try {
            delayNanos = rounds.probeAndAct();
        } catch (RuntimeException | Error e) {
            log.warn("Health monitor: unexpected failure ({}); probing again in {}", e.toString(), settings.interval());
        } finally {
            synchronized (lock) {
                running = false;
                if (!executor.isShutdown()) {
                    next = executor.schedule(this::tick, delayNanos, TimeUnit.NANOSECONDS);
                }
            }
        }
    }

    /**
     * Since when the database has been unavailable to new work: the start of the current silence of
     * a live host, else of the current outage; null while it serves. The ride-through counts from here.
     */
    public Instant unavailableSince() {
        return figures.unavailableSince();
    }

    /** The monitor's figures now. */
    public MonitorSnapshot snapshot() {
        boolean isRunning;
        synchronized (lock) {
            isRunning = executor != null && !executor.isShutdown();
        }
        return figures.snapshot(isRunning, settings, commits);
    }

    /** The settings it runs with. */
    public Settings settings() {
        return settings;
    }

    /** Stops the monitor thread, waiting up to the probe timeout for a running probe. Idempotent. */
    @Override
    public void close() {
        ScheduledExecutorService ex;
        synchronized (lock) {
            ex = executor;
            if (ex == null) {
                return;
            }
            ex.shutdownNow();
        }
        try {
            ex.awaitTermination(settings.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The health report's view of a snapshot. */
    public static HealthReport.Monitor report(MonitorSnapshot s) {
        return s.report();
    }
}
