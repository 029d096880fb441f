package dev.warden;

import java.time.Duration;
import java.util.Objects;

/**
 * Health probes, and how long new work waits out an outage.
 *
 * @param interval         between probes while READY ({@code WARDEN_MONITOR_INTERVAL}); zero runs no
 *                         monitor: no probes, no DEGRADED state, no fast failure (for measurements only)
 * @param timeout          longest a probe may take ({@code WARDEN_MONITOR_TIMEOUT})
 * @param failures         consecutive failed probes that make READY become DEGRADED ({@code WARDEN_MONITOR_FAILURES})
 * @param recoveryInterval between probes after a failure and while DEGRADED ({@code WARDEN_MONITOR_RECOVERY_INTERVAL})
 * @param rideThrough      how long new work waits for an unavailable database to come back, counted from
 *                         the start of the unavailability, before failing fast ({@code WARDEN_RIDE_THROUGH})
 * @param stallBound       how long a server whose host answers TCP but which answers no query (stopped,
 *                         starved, a paused pooler) stays READY with its work kept ({@code WARDEN_STALL_BOUND})
 */
public record MonitorSettings(Duration interval, Duration timeout, int failures, Duration recoveryInterval,
                              Duration rideThrough, Duration stallBound) {
    public MonitorSettings {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(recoveryInterval, "recoveryInterval");
        Objects.requireNonNull(rideThrough, "rideThrough");
        Objects.requireNonNull(stallBound, "stallBound");
    }
}
