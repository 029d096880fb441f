package dev.warden.internal.health;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The health monitor's figures: counters and the latest values, written on the monitor thread (by
 * {@link ProbeRounds}), read from any thread through {@link HealthMonitor#snapshot()}.
 */
final class MonitorFigures {

    final AtomicLong probes = new AtomicLong();
    final AtomicLong probeFailures = new AtomicLong();
    final AtomicLong outages = new AtomicLong();
    final AtomicLong recoveries = new AtomicLong();
    final AtomicLong failedRecoveries = new AtomicLong();
    final AtomicLong slowProbes = new AtomicLong();
    final AtomicLong refusingProbes = new AtomicLong();
    final AtomicLong stalledProbes = new AtomicLong();
    volatile HealthMonitor.ProbeResult lastProbe;
    volatile int consecutiveFailures;
    volatile Instant degradedSince;
    volatile Instant lastFailureAt;
    volatile Duration lastOutage;
    volatile Duration lastTimeToRecover;
    volatile Instant stalledSince;
    volatile long lastProbeStartNanos = System.nanoTime() - Duration.ofDays(1).toNanos();

    /**
     * Since when the database has been unavailable to new work: the start of the current silence of
     * a live host, else of the current outage; null while it serves. The ride-through counts from here.
     */
    Instant unavailableSince() {
        Instant stalled = stalledSince;
        Instant degraded = degradedSince;
        if (stalled == null || degraded == null) {
            return stalled != null ? stalled : degraded;
        }
        return stalled.isBefore(degraded) ? stalled : degraded;
    }

    /** The figures now, with the monitor's running flag, settings and commit check. */
    MonitorSnapshot snapshot(boolean running, HealthMonitor.Settings settings, CommitWatch commits) {
        return new MonitorSnapshot(running, settings, lastProbe,
                new MonitorSnapshot.ProbeCounts(probes.get(), probeFailures.get(), consecutiveFailures, slowProbes.get(),
                        refusingProbes.get(), stalledProbes.get()),
                new MonitorSnapshot.Outages(degradedSince, outages.get(), recoveries.get(), failedRecoveries.get(),
                        lastOutage, lastTimeToRecover),
                stalledSince, new MonitorSnapshot.CommitCheck(commits.blocked(), commits.lastCheck()));
    }
}
