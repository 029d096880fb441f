package dev.warden.spring;

import dev.warden.HealthReport;
import dev.warden.Warden;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The {@code warden} health contributor: UP when READY, OUT_OF_SERVICE while starting (the details
 * say what start-up is doing: connecting, waiting for the init lock, migrating…) and when stopped,
 * DOWN when the database is unreachable (DEGRADED) or start-up failed. Details: the state, the
 * start-up progress and Warden's whole health report (never a secret).
 */
public final class WardenHealthIndicator implements HealthIndicator {

    private final Warden warden;

    public WardenHealthIndicator(Warden warden) {
        this.warden = warden;
    }

    @Override
    public Health health() {
        HealthReport r = warden.health();
        Status status = switch (r.state()) {
            case READY -> Status.UP;
            case DEGRADED, FAILED -> Status.DOWN;
            default -> Status.OUT_OF_SERVICE;
        };
        return Health.status(status)
                .withDetail("state", r.state())
                .withDetail("progress", r.progress() == null ? "" : r.progress())
                .withDetail("report", r)
                .build();
    }
}
