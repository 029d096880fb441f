package dev.warden.internal.init;

import java.time.Duration;

/**
 * The part of {@code WARDEN_INIT_TIMEOUT} a process has used. The clock runs all the time except
 * while a live holder visibly runs a migration: this process itself (its lock held, inside Flyway),
 * or another process whose init lock is held (the lock's own liveness: its heartbeat, or its lease
 * renewed) while the epoch's row names the migration it runs. A migration statement has no time
 * limit on the holder (Flyway's connections have no socket timeout), so the processes waiting for
 * it must not impose one either; everything else (no live holder, a holder wiping or seeding, an
 * outage, a crash loop) still ends at the timeout.
 * <p>
 * Not thread-safe: used by the one thread that runs {@link Initializer#run()}.
 */
final class InitBudget {

    private final Duration timeout;
    private long spentNanos;
    private long exemptNanos;
    private long since;
    private boolean counting = true;

    InitBudget(Duration timeout) {
        this.timeout = timeout;
        this.since = System.nanoTime();
    }

    /**
     * What is seen now: true while a live holder runs a migration (from now on the clock stops),
     * false otherwise (it runs). The time since the previous call is counted as that call said.
     */
    void observe(boolean liveMigration) {
        long now = System.nanoTime();
        if (counting) {
            spentNanos += now - since;
        } else {
            exemptNanos += now - since;
        }
        since = now;
        counting = !liveMigration;
    }

    /** Time left of the timeout, never negative; unbounded while the clock is stopped. */
    long leftMillis() {
        if (!counting) {
            return Long.MAX_VALUE;
        }
        long spent = spentNanos + System.nanoTime() - since;
        return Math.max(0, (timeout.toNanos() - spent) / 1_000_000);
    }

    /** True when the counted time has passed the timeout. */
    boolean exhausted() {
        observe(!counting);
        return spentNanos > timeout.toNanos();
    }

    /** The time not counted because a live holder ran a migration, whole seconds. */
    long exemptSeconds() {
        observe(!counting);
        return exemptNanos / 1_000_000_000L;
    }

    /** {@code "10m (WARDEN_INIT_TIMEOUT, not counting 40s during which a live holder ran migrations)"}. */
    String describe() {
        long exempt = exemptSeconds();
        return dev.warden.WardenConfig.format(timeout) + " (WARDEN_INIT_TIMEOUT"
                + (exempt > 0 ? ", not counting " + exempt + "s during which a live holder ran migrations" : "") + ")";
    }
}
