package dev.warden.internal.health;

import dev.warden.DatabaseUnavailableException;
import dev.warden.NotReadyException;
import dev.warden.State;
import dev.warden.internal.lifecycle.StateMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * New work that arrives while the database is unavailable (DEGRADED) waits for it to come back, up
 * to {@code WARDEN_RIDE_THROUGH} counted from the start of the unavailability, then runs; past that
 * bound it fails fast with {@link DatabaseUnavailableException}. So a planned switchover, a short
 * pooler pause or a server stalled for a few seconds fails nothing, and a long outage still fails
 * fast instead of holding callers for the pool's acquire timeout.
 *
 * <p>At most {@code maxWaiting} threads wait at once; one more is refused at once (no unbounded
 * queue). A waiter leaves at once when Warden stops (STOPPING wakes it) or when it is interrupted.
 */
public final class RideThrough {

    private final StateMachine lifecycle;
    private final Duration bound;
    private final Supplier<Instant> unavailableSince;
    private final Semaphore slots;
    private final int maxWaiting;
    private final LongAdder waited = new LongAdder();
    private final LongAdder rodeThrough = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final LongAdder overflowed = new LongAdder();
    private final AtomicLong longestNanos = new AtomicLong();

    /**
     * @param lifecycle        whose DEGRADED state is waited out
     * @param bound            how long after {@code unavailableSince} new work may still wait (0: none)
     * @param maxWaiting       threads allowed to wait at once
     * @param unavailableSince when the current unavailability began (null: not known, use the DEGRADED time)
     */
    public RideThrough(StateMachine lifecycle, Duration bound, int maxWaiting, Supplier<Instant> unavailableSince) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.bound = Objects.requireNonNull(bound, "bound");
        this.unavailableSince = Objects.requireNonNull(unavailableSince, "unavailableSince");
        this.maxWaiting = maxWaiting;
        this.slots = new Semaphore(Math.max(0, maxWaiting));
    }

    /**
     * Returns at once unless DEGRADED; in DEGRADED waits for READY within the ride-through and
     * returns when it comes. Throws {@link DatabaseUnavailableException} past the bound, when the
     * waiting room is full, or on interrupt; {@link NotReadyException} when Warden stops meanwhile.
     */
    public void await() {
        if (lifecycle.state() != State.DEGRADED) {
            return;
        }
        long deadline = deadlineNanos();
        if (deadline - System.nanoTime() <= 0) {
            throw refused(null);
        }
        if (!slots.tryAcquire()) {
            overflowed.increment();
            throw refused("the ride-through's waiting room (" + maxWaiting + " threads) is full");
        }
        waited.increment();
        long t0 = System.nanoTime();
        State s;
        try {
            s = lifecycle.awaitLeavingDegraded(deadline);
        } finally {
            slots.release();
            longestNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
        }
        if (s == State.READY) {
            rodeThrough.increment();
            return;
        }
        if (s == State.DEGRADED) {
            timedOut.increment();
            throw refused(Thread.currentThread().isInterrupted() ? "interrupted while waiting" : null);
        }
        throw new NotReadyException(s, "Warden is " + s + ": no work is accepted in this state.");
    }

    /**
     * Nanoseconds of ride-through left for work that waits on a server that is unavailable without
     * being declared so yet (a live host gone silent: STALLED while READY); 0 when the database is
     * not known to be unavailable or the bound has passed.
     */
    public long leftWhileStalled() {
        if (unavailableSince.get() == null) {
            return 0;
        }
        return Math.max(0, deadlineNanos() - System.nanoTime());
    }

    /**
     * Nanoseconds of ride-through left in the current unavailability (counted from its start, or
     * from the DEGRADED time when that is not known); 0 once the bound has passed.
     */
    public long leftNanos() {
        return Math.max(0, deadlineNanos() - System.nanoTime());
    }

    private long deadlineNanos() {
        Instant since = unavailableSince.get();
        if (since == null) {
            since = lifecycle.since();
        }
        long sinceNanosAgo = Duration.between(since, Instant.now()).toNanos();
        return System.nanoTime() - Math.max(0, sinceNanosAgo) + bound.toNanos();
    }

    private DatabaseUnavailableException refused(String why) {
        lifecycle.countRefusedUnavailable();
        String reason = lifecycle.why();
        String suffix = "waited out the ride-through (WARDEN_RIDE_THROUGH " + bound.toMillis() + " ms)";
        return new DatabaseUnavailableException(lifecycle.since(),
                (reason == null || reason.isEmpty() ? "" : reason + "; ") + (why != null ? why : suffix), null);
    }

    /** The bound. */
    public Duration bound() {
        return bound;
    }

    /** Threads waiting now. */
    public int waiting() {
        return maxWaiting - slots.availablePermits();
    }

    /**
     * The figures.
     *
     * @param waiting    threads waiting now
     * @param waited     waits started
     * @param rodeThrough waits that ended with the database back (the work then ran)
     * @param timedOut   waits that ended at the bound (or an interrupt): the work was refused
     * @param overflowed work refused at once because the waiting room was full
     * @param longestMs  the longest wait so far
     */
    public record Figures(int waiting, long waited, long rodeThrough, long timedOut, long overflowed, long longestMs) {
    }

    /** The figures now. */
    public Figures figures() {
        return new Figures(waiting(), waited.sum(), rodeThrough.sum(), timedOut.sum(), overflowed.sum(),
                Duration.ofNanos(longestNanos.get()).toMillis());
    }
}
