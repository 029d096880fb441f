package dev.warden.internal.health;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health monitor's commit check: every {@code commitCheckEvery}, on a thread of its own, whether
 * a write can still commit ({@link HealthMonitor.Probe#commitBlocked(Duration)}), and since when the
 * answer is what it is. Reported only, never an outage.
 */
final class CommitWatch {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

    private final HealthMonitor.Settings settings;
    private volatile Boolean commitBlocked;
    private volatile Instant lastCommitCheck;
    private volatile long lastCommitCheckNanos = System.nanoTime();
    private final AtomicBoolean commitCheckRunning = new AtomicBoolean();

    CommitWatch(HealthMonitor.Settings settings) {
        this.settings = settings;
    }

    /** True when the last check's COMMIT did not come back in time; null before the first verdict. */
    Boolean blocked() {
        return commitBlocked;
    }

    /** When the last check that gave a verdict ran, or null. */
    Instant lastCheck() {
        return lastCommitCheck;
    }

    /**
     * When due, checks that a write can commit (one transaction id consumed, no table touched) and
     * reports a COMMIT that does not come back within the probe timeout: every commit blocked on a
     * synchronous standby that is gone, for instance. Reported only: the database answers, so it is
     * not an outage.
     */
    void check(HealthMonitor.Probe probe) {
        Duration every = settings.commitCheckEvery();
        if (every.isZero() || System.nanoTime() - lastCommitCheckNanos < every.toNanos()
                || !commitCheckRunning.compareAndSet(false, true)) {
            return;
        }
        lastCommitCheckNanos = System.nanoTime();
        // On a thread of its own: a check on a server that stops meanwhile must never hold up the probes.
        Thread.ofPlatform().daemon().name("warden-commit-check").start(() -> {
            try {
                run(probe);
            } finally {
                commitCheckRunning.set(false);
            }
        });
    }

    private void run(HealthMonitor.Probe probe) {
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
}
