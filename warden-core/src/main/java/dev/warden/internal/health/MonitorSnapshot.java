package dev.warden.internal.health;

import dev.warden.HealthReport;
import dev.warden.ProbeOutcome;
import java.time.Duration;
import java.time.Instant;

/**
 * The health monitor's figures at one moment, in groups: its probes, its outages, the current stall
 * and the commit check. The accessors of the single figures ({@link #probes()}, {@link #outages()},
 * {@link #commitBlocked()}, …) read through the groups.
 *
 * @param running      true while the monitor thread runs
 * @param settings     its settings
 * @param lastProbe    the last probe, or null before the first
 * @param counts       how many probes ran and what they found
 * @param outageCounts the current outage and those that ended
 * @param stalledSince start of the first probe of the current silence of a live host (STALLED), or null
 * @param commitCheck  the commit check's last verdict
 */
public record MonitorSnapshot(boolean running, HealthMonitor.Settings settings, HealthMonitor.ProbeResult lastProbe,
                              ProbeCounts counts, Outages outageCounts, Instant stalledSince, CommitCheck commitCheck) {

    /**
     * How many probes ran and what they found.
     *
     * @param probes              probes run
     * @param failures            probes that failed
     * @param consecutiveFailures failed probes since the last success
     * @param slow                probes that found the database SLOW
     * @param refusing            probes that found it refusing new connections while existing ones answered
     * @param stalled             probes that found the database STALLED
     */
    public record ProbeCounts(long probes, long failures, int consecutiveFailures, long slow, long refusing,
                              long stalled) {
    }

    /**
     * The current outage and those that ended.
     *
     * @param degradedSince     when the current outage began, or null when not DEGRADED
     * @param outages           times READY became DEGRADED
     * @param recoveries        times DEGRADED became READY
     * @param failedRecoveries  successful probes in DEGRADED whose recovery failed
     * @param lastOutage        duration of the last finished outage, or null
     * @param lastTimeToRecover time to recover of the last outage, or null
     */
    public record Outages(Instant degradedSince, long outages, long recoveries, long failedRecoveries,
                          Duration lastOutage, Duration lastTimeToRecover) {
    }

    /**
     * The commit check's last verdict.
     *
     * @param blocked   true when the last check did not commit within the probe timeout (e.g. a
     *                  synchronous standby is gone); null before the first check or without checks
     * @param lastCheck when the last check ran, or null
     */
    public record CommitCheck(Boolean blocked, Instant lastCheck) {
    }

    /** True when the last probe found the database slow or refusing new connections: overloaded, not down. */
    public boolean overloaded() {
        return lastProbe != null && lastProbe.ok()
                && (lastProbe.outcome() == ProbeOutcome.SLOW || lastProbe.outcome() == ProbeOutcome.REFUSING_CONNECTIONS);
    }

    public int consecutiveFailures() {
        return counts.consecutiveFailures();
    }

    public long probes() {
        return counts.probes();
    }

    public long probeFailures() {
        return counts.failures();
    }

    public long slowProbes() {
        return counts.slow();
    }

    public long refusingProbes() {
        return counts.refusing();
    }

    public long stalledProbes() {
        return counts.stalled();
    }

    public Instant degradedSince() {
        return outageCounts.degradedSince();
    }

    public long outages() {
        return outageCounts.outages();
    }

    public long recoveries() {
        return outageCounts.recoveries();
    }

    public long failedRecoveries() {
        return outageCounts.failedRecoveries();
    }

    public Duration lastOutage() {
        return outageCounts.lastOutage();
    }

    public Duration lastTimeToRecover() {
        return outageCounts.lastTimeToRecover();
    }

    public Boolean commitBlocked() {
        return commitCheck.blocked();
    }

    public Instant lastCommitCheck() {
        return commitCheck.lastCheck();
    }

    /** The health report's view of this snapshot. */
    HealthReport.Monitor report() {
        HealthMonitor.ProbeResult p = lastProbe;
        HealthReport.LastProbe last = p == null ? new HealthReport.LastProbe(null, false, 0, null, null, false)
                : new HealthReport.LastProbe(p.at(), p.ok(), p.latencyMs(), p.error(), p.outcome(), overloaded());
        return new HealthReport.Monitor(
                new HealthReport.ProbeSettings(settings.interval().toMillis(), settings.timeout().toMillis(),
                        settings.failures()),
                last,
                new HealthReport.ProbeCounts(counts.probes(), counts.failures(), counts.consecutiveFailures(),
                        counts.slow(), counts.refusing(), counts.stalled()),
                new HealthReport.Outages(degradedSince(), outages(), recoveries(), failedRecoveries(),
                        millis(lastOutage()), millis(lastTimeToRecover())),
                new HealthReport.Stall(stalledSince, settings.stallBound().toMillis()),
                new HealthReport.CommitCheck(commitBlocked(), lastCommitCheck()));
    }

    private static Long millis(Duration d) {
        return d == null ? null : d.toMillis();
    }
}
