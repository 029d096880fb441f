package dev.warden.health;

import dev.warden.lifecycle.DatabaseUnavailableException;
import dev.warden.lifecycle.Lifecycle;
import dev.warden.lifecycle.State;
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
 * every {@code recoveryInterval}. A probe that found the database {@link ProbeOutcome#SILENT} (no
 * answer within {@code timeout} on its connection nor on a new one tried in parallel) or
 * {@link ProbeOutcome#READ_ONLY} (a read-write pool on a server that cannot take writes) turns READY
 * into DEGRADED at once, so a silently dropped network is declared within
 * {@code interval + timeout}; other failures ({@link ProbeOutcome#REFUSED}, {@link ProbeOutcome#SLOW})
 * do so after {@code failures} in a row. On DEGRADED the pool's connections, those in use included,
 * are aborted ({@link PoolActions#degraded()}): no thread waits for a socket timeout on a dead
 * network. In DEGRADED a probe runs every {@code recoveryInterval}; the first that is answered runs
 * the recovery action and moves back to READY, recording the outage's duration and the time to
 * recover. A recovery that fails is counted and retried at the next probe. {@link #nudge()} runs a
 * probe now (a transaction saw a connection failure). Probes never overlap.
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
    }

    /** What the monitor does to the pool when the database goes away and comes back. */
    public interface PoolActions {
        /**
         * The database was declared unreachable: end the work waiting on the pool's connections
         * (those in use included) at once, and stop the pool from reconnecting in a tight loop.
         */
        void degraded();

        /**
         * The database answered a probe: make the pool usable again within {@code timeout}, or
         * throw. Must not need a free pool slot: at the outage every slot may have been in use.
         */
        void recover(Duration timeout) throws Exception;
    }

    /** Receives the monitor's events (for metrics); called on the monitor thread, must be quick. */
    public interface Listener {
        /** A probe ended, successfully or not, after {@code nanos}. */
        default void probed(boolean ok, long nanos) {
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
     */
    public record Settings(Duration interval, Duration timeout, int failures, Duration recoveryInterval) {
        /** Checks the values. */
        public Settings {
            Objects.requireNonNull(interval, "interval");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(recoveryInterval, "recoveryInterval");
            if (failures < 1) {
                throw new IllegalArgumentException("failures must be at least 1, got " + failures);
            }
        }
    }

    /**
     * The last probe.
     *
     * @param at        when it started
     * @param outcome   what it found
     * @param latencyMs how long it took, in milliseconds (fractional)
     * @param error     why it failed, or null
     */
    public record ProbeResult(Instant at, ProbeOutcome outcome, double latencyMs, String error) {
        /** True when the database answered in time. */
        public boolean ok() {
            return outcome.ok();
        }
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
     */
    public record Snapshot(boolean running, Settings settings, ProbeResult lastProbe, int consecutiveFailures,
                           long probes, long probeFailures, Instant degradedSince, long outages, long recoveries,
                           long failedRecoveries, Duration lastOutage, Duration lastTimeToRecover) {
    }

    private final Lifecycle lifecycle;
    private final Settings settings;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong probes = new AtomicLong();
    private final AtomicLong probeFailures = new AtomicLong();
    private final AtomicLong outages = new AtomicLong();
    private final AtomicLong recoveries = new AtomicLong();
    private final AtomicLong failedRecoveries = new AtomicLong();
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

    /** A monitor for this lifecycle, not started. */
    public HealthMonitor(Lifecycle lifecycle, Settings settings) {
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
        }
    }

    /**
     * Runs a probe now instead of at the next interval, unless one is running or the database is
     * already known to be down. Cheap; call it whenever work fails with a connection error.
     */
    public void nudge() {
        synchronized (lock) {
            if (executor == null || executor.isShutdown() || running || next == null
                    || next.getDelay(TimeUnit.NANOSECONDS) <= 0 || lifecycle.state() != State.READY) {
                return;
            }
            if (next.cancel(false)) {
                next = executor.schedule(this::tick, 0, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** True when the last probe failed: the database may be unreachable, though not declared so yet. */
    public boolean suspect() {
        return consecutiveFailures > 0;
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
        ProbeFinding finding;
        try {
            finding = probe.probe(settings.timeout());
        } catch (Exception e) {
            finding = new ProbeFinding(ProbeOutcome.REFUSED, summary(e));
        }
        long nanos = System.nanoTime() - t0;
        ProbeOutcome outcome = finding.outcome();
        boolean ok = outcome.ok();
        String error = ok ? null : outcome + ": " + shorten(finding.detail());
        lastProbe = new ProbeResult(at, outcome, nanos / 1e6, error);
        probes.incrementAndGet();
        for (Listener l : listeners) {
            l.probed(ok, nanos);
        }
        if (!ok) {
            probeFailures.incrementAndGet();
            lastFailureAt = Instant.now();
            int failures = ++consecutiveFailures;
            // Silence on both the probe connection and a new one is already two failed attempts; a
            // read-only answer is an answer, not a silence: one is enough to stop admitting writes
            // that would fail.
            boolean atOnce = outcome == ProbeOutcome.SILENT || outcome == ProbeOutcome.READ_ONLY;
            if (s == State.READY && (failures >= settings.failures() || atOnce)) {
                Instant down = Instant.now();
                String cause = switch (outcome) {
                    case SILENT -> "probe found the database silent: " + error;
                    case READ_ONLY -> "the server answered but is " + DatabaseUnavailableException.READ_ONLY
                            + ", and this pool writes: " + error;
                    default -> failures + " probe(s) failed in a row: " + error;
                };
                if (lifecycle.moveIf(State.READY, State.DEGRADED, cause)) {
                    degradedSince = down;
                    outages.incrementAndGet();
                    try {
                        pool.degraded();
                    } catch (RuntimeException e) {
                        log.warn("Health monitor: could not quiet the pool: {}", e.toString());
                    }
                }
            } else if (s == State.READY) {
                log.info("Health monitor: probe failed ({} of {} before DEGRADED): {}", failures,
                        settings.failures(), error);
            }
            return settings.recoveryInterval().toNanos();
        }
        consecutiveFailures = 0;
        if (s == State.DEGRADED) {
            try {
                pool.recover(settings.timeout());
            } catch (Exception e) {
                failedRecoveries.incrementAndGet();
                log.warn("Health monitor: the database answered but the pool could not reconnect: {}", summary(e));
                for (Listener l : listeners) {
                    l.recoveryFailed();
                }
                return settings.recoveryInterval().toNanos();
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
                degradedSince, outages.get(), recoveries.get(), failedRecoveries.get(), lastOutage, lastTimeToRecover);
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
}
