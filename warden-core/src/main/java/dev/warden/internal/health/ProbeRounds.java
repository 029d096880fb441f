package dev.warden.internal.health;

import dev.warden.DatabaseUnavailableException;
import dev.warden.ProbeOutcome;
import dev.warden.State;
import dev.warden.internal.health.HealthMonitor.Listener;
import dev.warden.internal.health.HealthMonitor.ProbeResult;
import dev.warden.internal.lifecycle.StateMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One probe of the health monitor and what follows from it (see {@link HealthMonitor} for the
 * guarantees): the verdict from the probe's finding, the move between READY and DEGRADED, the pool's
 * actions, the figures and the listeners. Runs on the monitor thread only.
 */
final class ProbeRounds {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

    private final StateMachine lifecycle;
    private final HealthMonitor.Settings settings;
    private final HealthMonitor.Probe probe;
    private final HealthMonitor.PoolActions pool;
    private final List<HealthMonitor.Listener> listeners;
    private final MonitorFigures figures;
    private final CommitWatch commits;

    ProbeRounds(StateMachine lifecycle, HealthMonitor.Settings settings, HealthMonitor.Probe probe,
                HealthMonitor.PoolActions pool, List<HealthMonitor.Listener> listeners, MonitorFigures figures,
                CommitWatch commits) {
        this.lifecycle = lifecycle;
        this.settings = settings;
        this.probe = probe;
        this.pool = pool;
        this.listeners = listeners;
        this.figures = figures;
        this.commits = commits;
    }

    /** One probe and what follows from it; returns the delay before the next probe. */
    long probeAndAct() {
        State s = lifecycle.state();
        if (s != State.READY && s != State.DEGRADED) {
            return settings.interval().toNanos();
        }
        Instant at = Instant.now();
        long t0 = System.nanoTime();
        figures.lastProbeStartNanos = t0;
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
        // The counters first, the outcome last: a reader that sees this probe's outcome sees it counted.
        if (ok && outcome == ProbeOutcome.SLOW) {
            figures.slowProbes.incrementAndGet();
        } else if (ok && outcome == ProbeOutcome.REFUSING_CONNECTIONS) {
            figures.refusingProbes.incrementAndGet();
        }
        if (outcome == ProbeOutcome.STALLED) {
            figures.stalledProbes.incrementAndGet();
        }
        figures.probes.incrementAndGet();
        figures.lastProbe = new ProbeResult(at, ok, nanos / 1e6, error, outcome);
        for (Listener l : listeners) {
            l.probed(outcome, nanos);
        }
        if (ok && outcome == ProbeOutcome.SLOW) {
            log.info("Health monitor: the database answered slowly ({} ms); slow is not unreachable, nothing is evicted",
                    Math.round(nanos / 1e6));
        } else if (ok && outcome == ProbeOutcome.REFUSING_CONNECTIONS) {
            log.info("Health monitor: the server refuses new connections but existing ones answer: overload, not an outage");
        }
        if (!ok) {
            figures.probeFailures.incrementAndGet();
            figures.lastFailureAt = Instant.now();
            int failures = ++figures.consecutiveFailures;
            Instant stalled = figures.stalledSince;
            if (outcome == ProbeOutcome.STALLED && stalled == null) {
                stalled = at;
                figures.stalledSince = at;
                if (s == State.READY) {
                    log.warn("Health monitor: the server is alive but silent; its work is kept and new work waits, for up to"
                            + " {} (WARDEN_STALL_BOUND): {}", settings.stallBound(), error);
                }
            } else if (outcome != ProbeOutcome.STALLED) {
                figures.stalledSince = null;
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
                    figures.degradedSince = stalled != null && outcome == ProbeOutcome.STALLED ? stalled : down;
                    figures.outages.incrementAndGet();
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
        figures.consecutiveFailures = 0;
        if (figures.stalledSince != null && s == State.READY) {
            log.info("Health monitor: the server answers again after {} ms of silence; nothing was aborted",
                    Duration.between(figures.stalledSince, Instant.now()).toMillis());
        }
        figures.stalledSince = null;
        if (s == State.READY) {
            commits.check(probe);
        }
        if (s == State.DEGRADED) {
            try {
                pool.recover(settings.timeout());
            } catch (Exception e) {
                figures.failedRecoveries.incrementAndGet();
                log.warn("Health monitor: the database answered but the pool could not reconnect: {}", summary(e));
                for (Listener l : listeners) {
                    l.recoveryFailed();
                }
                return jittered(settings.recoveryInterval());
            }
            Instant readyAt = Instant.now();
            Instant down = figures.degradedSince;
            Duration outage = down == null ? Duration.ZERO : Duration.between(down, readyAt);
            Instant lastFail = figures.lastFailureAt;
            Duration ttr = lastFail == null ? Duration.ZERO : Duration.between(lastFail, readyAt);
            if (lifecycle.moveIf(State.DEGRADED, State.READY, "database answered again after an outage of "
                    + outage.toMillis() + " ms")) {
                figures.degradedSince = null;
                figures.lastOutage = outage;
                figures.lastTimeToRecover = ttr;
                figures.recoveries.incrementAndGet();
                for (Listener l : listeners) {
                    l.recovered(outage, ttr);
                }
            }
        }
        return settings.interval().toNanos();
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
}
