package dev.warden.internal.health;

import dev.warden.DatabaseUnavailableException;
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
import java.util.concurrent.atomic.AtomicLong;
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
 * not: stopped, starved, a paused pooler) stays READY and is reported ({@link Snapshot#stalledSince()}),
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

    /**
     * The monitor's figures at one moment.
     *
     * @param running             true while the monitor thread runs
     * @param settings            its settings
     * @param lastProbe           the last probe, or null before the first
     * @param consecutiveFailures failed probes since the last success
     * @param probes              probes run
     * @param probeFailures       probes that failed
     * @param degradedSince       when the current outage began, or null when not DEGRADED
     * @param outages             times READY became DEGRADED
     * @param recoveries          times DEGRADED became READY
     * @param failedRecoveries    successful probes in DEGRADED whose recovery failed
     * @param lastOutage          duration of the last finished outage, or null
     * @param lastTimeToRecover   time to recover of the last outage, or null
     * @param slowProbes          probes that found the database SLOW
     * @param refusingProbes      probes that found it refusing new connections while existing ones answered
     * @param stalledSince        start of the first probe of the current silence of a live host
     *                            (STALLED), or null
     * @param stalledProbes       probes that found the database STALLED
     * @param commitBlocked       true when the last commit check did not commit within the probe
     *                            timeout (e.g. a synchronous standby is gone); null before the first
     *                            check or without checks
     * @param lastCommitCheck     when the last commit check ran, or null
     */
    public record Snapshot(boolean running, Settings settings, ProbeResult lastProbe, int consecutiveFailures,
                           long probes, long probeFailures, Instant degradedSince, long outages, long recoveries,
                           long failedRecoveries, Duration lastOutage, Duration lastTimeToRecover,
                           long slowProbes, long refusingProbes, Instant stalledSince, long stalledProbes,
                           Boolean commitBlocked, Instant lastCommitCheck) {

        /** True when the last probe found the database slow or refusing new connections: overloaded, not down. */
        public boolean overloaded() {
            return lastProbe != null && lastProbe.ok()
                    && (lastProbe.outcome() == ProbeOutcome.SLOW || lastProbe.outcome() == ProbeOutcome.REFUSING_CONNECTIONS);
        }
    }

    private final StateMachine lifecycle;
    private final Settings settings;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong probes = new AtomicLong();
    private final AtomicLong probeFailures = new AtomicLong();
    private final AtomicLong outages = new AtomicLong();
    private final AtomicLong recoveries = new AtomicLong();
    private final AtomicLong failedRecoveries = new AtomicLong();
    private final AtomicLong slowProbes = new AtomicLong();
    private final AtomicLong refusingProbes = new AtomicLong();
    private final AtomicLong stalledProbes = new AtomicLong();
    private final Object lock = new Object();
    private ScheduledExecutorService executor;
    private ScheduledFuture<?> next;
    private boolean running;
    private Probe probe;
    private PoolActions pool;
    private volatile ProbeResult lastProbe;
    private volatile int consecutiveFailures;
    private volatile Instant degradedSince;
    private volatile Instant lastFailureAt;
    private volatile Duration lastOutage;
    private volatile Duration lastTimeToRecover;
    private volatile Instant stalledSince;
    private volatile Boolean commitBlocked;
    private volatile Instant lastCommitCheck;
    private volatile long lastCommitCheckNanos = System.nanoTime();
    private final java.util.concurrent.atomic.AtomicBoolean commitCheckRunning = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile long lastProbeStartNanos = System.nanoTime() - Duration.ofDays(1).toNanos();

    /** A monitor for this lifecycle, not started. */
    public HealthMonitor(StateMachine lifecycle, Settings settings) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.settings = Objects.requireNonNull(settings, "settings");
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
            this.probe = Objects.requireNonNull(probe, "probe");
            this.pool = Objects.requireNonNull(pool, "pool");
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
                    || System.nanoTime() - lastProbeStartNanos < settings.recoveryInterval().toNanos()) {
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
            delayNanos = probeAndAct();
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

    /** One probe and what follows from it; returns the delay before the next probe. */
    private long probeAndAct() {
        State s = lifecycle.state();
        if (s != State.READY && s != State.DEGRADED) {
            return settings.interval().toNanos();
        }
        Instant at = Instant.now();
        long t0 = System.nanoTime();
        lastProbeStartNanos = t0;
        long workBefore = workDone();
        ProbeFinding finding;
        try {
            finding = probe.probe(settings.timeout());
        } catch (Exception e) {
            finding = new ProbeFinding(ProbeOutcome.REFUSED, summary(e));
        }
        if (finding == null) {
            finding = new ProbeFinding(ProbeOutcome.REFUSED, "the probe said nothing");
        }
        if ((finding.outcome() == ProbeOutcome.SILENT || finding.outcome() == ProbeOutcome.STALLED)
                && s == State.READY && workDone() != workBefore) {
            // Work committed on pooled connections while the probe heard nothing: the database
            // answers, late (or this process was starved); a dead network lets no commit through.
            finding = new ProbeFinding(ProbeOutcome.SLOW, "the probe got no answer within "
                    + settings.timeout().toMillis() + " ms, but work committed on pooled connections meanwhile");
        }
        ProbeOutcome outcome = finding.outcome();
        String error = outcome.reachable() ? null : outcome + ": " + shorten(finding.detail());
        if (outcome == ProbeOutcome.REFUSING_CONNECTIONS && !existingConnectionsAnswer()) {
            error = outcome + ": " + shorten(finding.detail()) + " (no connection the pool holds answers either)";
        }
        long nanos = System.nanoTime() - t0;
        boolean ok = error == null;
        lastProbe = new ProbeResult(at, ok, nanos / 1e6, error, outcome);
        probes.incrementAndGet();
        for (Listener l : listeners) {
            l.probed(outcome, nanos);
        }
        if (ok && outcome == ProbeOutcome.SLOW) {
            slowProbes.incrementAndGet();
            log.info("Health monitor: the database answered slowly ({} ms); slow is not unreachable, nothing is evicted",
                    Math.round(nanos / 1e6));
        } else if (ok && outcome == ProbeOutcome.REFUSING_CONNECTIONS) {
            refusingProbes.incrementAndGet();
            log.info("Health monitor: the server refuses new connections but existing ones answer: overload, not an outage");
        }
        if (outcome == ProbeOutcome.STALLED) {
            stalledProbes.incrementAndGet();
        }
        if (!ok) {
            probeFailures.incrementAndGet();
            lastFailureAt = Instant.now();
            int failures = ++consecutiveFailures;
            Instant stalled = stalledSince;
            if (outcome == ProbeOutcome.STALLED && stalled == null) {
                stalled = at;
                stalledSince = at;
                if (s == State.READY) {
                    log.warn("Health monitor: the server is alive but silent; its work is kept and new work waits, for up to"
                            + " {} (WARDEN_STALL_BOUND): {}", settings.stallBound(), error);
                }
            } else if (outcome != ProbeOutcome.STALLED) {
                stalledSince = null;
            }
            long stalledNanos = stalled == null ? 0 : Duration.between(stalled, Instant.now()).toNanos();
            boolean stallOver = outcome == ProbeOutcome.STALLED && stalledNanos >= settings.stallBound().toNanos();
            // Silence on both the probe connection and a new one, with no TCP answer, is a gone network;
            // READ_ONLY is an answer, not a silence: one is enough to stop admitting writes that would fail.
            // A live host's silence is an outage only once it outlasts the stall bound.
            if (s == State.READY && (outcome == ProbeOutcome.SILENT || outcome == ProbeOutcome.READ_ONLY || stallOver
                    || (outcome == ProbeOutcome.REFUSED && failures >= settings.failures()))) {
                Instant down = Instant.now();
                String cause = outcome == ProbeOutcome.SILENT ? "probe found the database silent: " + error
                        : outcome == ProbeOutcome.STALLED ? "the server has been alive but silent for "
                        + Duration.ofNanos(stalledNanos).toMillis() + " ms (WARDEN_STALL_BOUND "
                        + settings.stallBound().toMillis() + " ms): " + error
                        : outcome == ProbeOutcome.READ_ONLY ? "the server answered but is "
                        + DatabaseUnavailableException.READ_ONLY + ", and this pool writes: " + error
                        : failures + " probe(s) failed in a row: " + error;
                if (lifecycle.moveIf(State.READY, State.DEGRADED, cause)) {
                    degradedSince = stalled != null && outcome == ProbeOutcome.STALLED ? stalled : down;
                    outages.incrementAndGet();
                    try {
                        pool.degraded(outcome == ProbeOutcome.SILENT);
                    } catch (RuntimeException e) {
                        log.warn("Health monitor: could not quiet the pool: {}", e.toString());
                    }
                }
            } else if (s == State.READY && outcome == ProbeOutcome.STALLED) {
                log.debug("Health monitor: still alive but silent after {} ms", Duration.ofNanos(stalledNanos).toMillis());
            } else if (s == State.READY) {
                log.info("Health monitor: probe failed ({} of {} before DEGRADED): {}", failures,
                        settings.failures(), error);
            }
            return jittered(settings.recoveryInterval());
        }
        consecutiveFailures = 0;
        if (stalledSince != null && s == State.READY) {
            log.info("Health monitor: the server answers again after {} ms of silence; nothing was aborted",
                    Duration.between(stalledSince, Instant.now()).toMillis());
        }
        stalledSince = null;
        if (s == State.READY) {
            checkCommit();
        }
        if (s == State.DEGRADED) {
            try {
                pool.recover(settings.timeout());
            } catch (Exception e) {
                failedRecoveries.incrementAndGet();
                log.warn("Health monitor: the database answered but the pool could not reconnect: {}", summary(e));
                for (Listener l : listeners) {
                    l.recoveryFailed();
                }
                return jittered(settings.recoveryInterval());
            }
            Instant readyAt = Instant.now();
            Instant down = degradedSince;
            Duration outage = down == null ? Duration.ZERO : Duration.between(down, readyAt);
            Instant lastFail = lastFailureAt;
            Duration ttr = lastFail == null ? Duration.ZERO : Duration.between(lastFail, readyAt);
            if (lifecycle.moveIf(State.DEGRADED, State.READY, "database answered again after an outage of "
                    + outage.toMillis() + " ms")) {
                degradedSince = null;
                lastOutage = outage;
                lastTimeToRecover = ttr;
                recoveries.incrementAndGet();
                for (Listener l : listeners) {
                    l.recovered(outage, ttr);
                }
            }
        }
        return settings.interval().toNanos();
    }

    /**
     * When due, checks that a write can commit (one transaction id consumed, no table touched) and
     * reports a COMMIT that does not come back within the probe timeout: every commit blocked on a
     * synchronous standby that is gone, for instance. Reported only: the database answers, so it is
     * not an outage.
     */
    private void checkCommit() {
        Duration every = settings.commitCheckEvery();
        if (every.isZero() || System.nanoTime() - lastCommitCheckNanos < every.toNanos()
                || !commitCheckRunning.compareAndSet(false, true)) {
            return;
        }
        lastCommitCheckNanos = System.nanoTime();
        // On a thread of its own: a check on a server that stops meanwhile must never hold up the probes.
        Thread.ofPlatform().daemon().name("warden-commit-check").start(() -> {
            try {
                runCommitCheck();
            } finally {
                commitCheckRunning.set(false);
            }
        });
    }

    private void runCommitCheck() {
        Boolean blocked;
        try {
            blocked = probe.commitBlocked(settings.timeout());
        } catch (Exception e) {
            blocked = null; // no verdict: the next probe says what the server is doing
        }
        if (blocked == null) {
            return;
        }
        Boolean before = commitBlocked;
        commitBlocked = blocked;
        lastCommitCheck = Instant.now();
        if (blocked && !Boolean.TRUE.equals(before)) {
            log.warn("Health monitor: a COMMIT did not come back within {} ms although the server answers: commits are"
                    + " blocked (a synchronous standby gone?); work that writes waits", settings.timeout().toMillis());
        } else if (!blocked && Boolean.TRUE.equals(before)) {
            log.info("Health monitor: commits come back again");
        }
    }

    /**
     * Since when the database has been unavailable to new work: the start of the current silence of
     * a live host, else of the current outage; null while it serves. The ride-through counts from here.
     */
    public Instant unavailableSince() {
        Instant stalled = stalledSince;
        Instant degraded = degradedSince;
        if (stalled == null || degraded == null) {
            return stalled != null ? stalled : degraded;
        }
        return stalled.isBefore(degraded) ? stalled : degraded;
    }

    private long workDone() {
        try {
            return pool.workDone();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private boolean existingConnectionsAnswer() {
        try {
            return pool.existingConnectionsAnswer(settings.timeout());
        } catch (RuntimeException e) {
            log.debug("Health monitor: checking the existing connections failed: {}", e.toString());
            return false;
        }
    }

    /** {@code d} ± 20 %: replicas that failed together do not probe (and reconnect) in step. */
    private static long jittered(Duration d) {
        long n = d.toNanos();
        return Math.max(1, n + (long) ((java.util.concurrent.ThreadLocalRandom.current().nextDouble() - 0.5) * 0.4 * n));
    }

    private static String summary(Throwable e) {
        String m = e.getMessage();
        return shorten(e.getClass().getSimpleName() + (m == null ? "" : ": " + m));
    }

    private static String shorten(String text) {
        if (text == null) {
            return "";
        }
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    /** The monitor's figures now. */
    public Snapshot snapshot() {
        boolean isRunning;
        synchronized (lock) {
            isRunning = executor != null && !executor.isShutdown();
        }
        return new Snapshot(isRunning, settings, lastProbe, consecutiveFailures, probes.get(), probeFailures.get(),
                degradedSince, outages.get(), recoveries.get(), failedRecoveries.get(), lastOutage, lastTimeToRecover,
                slowProbes.get(), refusingProbes.get(), stalledSince, stalledProbes.get(), commitBlocked, lastCommitCheck);
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
    public static HealthReport.Monitor report(Snapshot s) {
        HealthMonitor.ProbeResult p = s.lastProbe();
        return new HealthReport.Monitor(s.settings().interval().toMillis(), s.settings().timeout().toMillis(),
                s.settings().failures(), p == null ? null : p.at(), p != null && p.ok(),
                p == null ? 0 : p.latencyMs(), p == null ? null : p.error(), s.consecutiveFailures(), s.probes(),
                s.probeFailures(), s.degradedSince(), s.outages(), s.recoveries(), s.failedRecoveries(),
                millis(s.lastOutage()), millis(s.lastTimeToRecover()), p == null ? null : p.outcome(),
                s.overloaded(), s.slowProbes(), s.refusingProbes(), s.stalledSince(), s.stalledProbes(),
                s.settings().stallBound().toMillis(), s.commitBlocked(), s.lastCommitCheck());
    }

    private static Long millis(Duration d) {
        return d == null ? null : d.toMillis();
    }
}
