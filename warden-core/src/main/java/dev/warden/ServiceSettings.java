package dev.warden;

import java.time.Duration;
import java.util.Objects;

/**
 * The service around Warden: its name, start, readiness and shutdown.
 *
 * @param applicationName name shown in {@code pg_stat_activity} and in logs ({@code WARDEN_APP_NAME})
 * @param startupTimeout  how long {@code start()} keeps trying to reach the database ({@code WARDEN_STARTUP_TIMEOUT})
 * @param readyWait       how long work submitted before READY waits for it ({@code WARDEN_READY_WAIT})
 * @param drainTimeout    how long {@code close()} waits for transactions in flight before it closes the pool
 *                        ({@code WARDEN_DRAIN_TIMEOUT})
 * @param readinessGrace  how long readiness stays true after READY became DEGRADED, so that a blip does not
 *                        take a whole fleet out of its Service at once ({@code WARDEN_READINESS_GRACE}); 0: none
 * @param httpPort        port of the standalone management server, 0 for any ({@code WARDEN_MANAGEMENT_PORT})
 */
public record ServiceSettings(String applicationName, Duration startupTimeout, Duration readyWait, Duration drainTimeout,
                              Duration readinessGrace, int httpPort) {
    public ServiceSettings {
        Objects.requireNonNull(applicationName, "applicationName");
        Objects.requireNonNull(startupTimeout, "startupTimeout");
        Objects.requireNonNull(readyWait, "readyWait");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(readinessGrace, "readinessGrace");
    }
}
