package dev.warden.internal.health;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * After a recovery, brings the pool back to its minimum step by step: each connection at its own
 * random moment within the refill spread, so that a fleet of replicas recovering together does not
 * open all its connections in the same instant. A new outage cancels the steps not yet run.
 */
final class PoolRefill implements AutoCloseable {

    private final HikariDataSource pool;
    private final int minimumIdle;
    private final Duration refillSpread;
    private final Object refillLock = new Object();
    private ScheduledExecutorService refiller;
    private final List<ScheduledFuture<?>> refillSteps = new ArrayList<>();
    /** Changes whenever a refill is cancelled, so that a step already running does not undo it. */
    private long refillGeneration;

    /** For {@code pool}, whose configured minimum is the target; {@code refillSpread} zero refills at once. */
    PoolRefill(HikariDataSource pool, Duration refillSpread) {
        this.pool = pool;
        this.refillSpread = refillSpread;
        this.minimumIdle = pool.getMinimumIdle();
    }

    /**
     * Refills the pool to its minimum: at once without a spread (or a minimum of one), else one
     * connection now and each of the others at its own random moment within the spread.
     */
    void schedule(HikariPool hikari) {
        long spreadNanos = refillSpread.toNanos();
        if (spreadNanos <= 0 || minimumIdle <= 1) {
            long generation;
            synchronized (refillLock) {
                generation = refillGeneration;
            }
            raiseMinimum(hikari, minimumIdle, generation);
            return;
        }
        long[] at = new long[minimumIdle - 1];
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < at.length; i++) {
            at[i] = random.nextLong(spreadNanos);
        }
        Arrays.sort(at);
        synchronized (refillLock) {
            if (refiller == null) {
                refiller = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "warden-refill");
                    t.setDaemon(true);
                    return t;
                });
            }
            long generation = refillGeneration;
            raiseMinimum(hikari, 1, generation);
            for (int i = 0; i < at.length; i++) {
                int target = i + 2;
                refillSteps.add(refiller.schedule(() -> raiseMinimum(hikari, target, generation), at[i],
                        TimeUnit.NANOSECONDS));
            }
        }
    }

    /** Sets the pool's minimum to {@code target} and asks HikariCP for one connection if it is short. */
    private void raiseMinimum(HikariPool hikari, int target, long generation) {
        synchronized (refillLock) {
            if (pool.isClosed() || generation != refillGeneration) {
                return;
            }
            pool.getHikariConfigMXBean().setMinimumIdle(Math.min(target, minimumIdle));
        }
        // Hikari adds connections up to the minimum only from its housekeeper (every 30 s) or on demand.
        // This queues one more creator (HikariCP queues one only while fewer are queued than the number
        // passed); a creator adds at most one connection and none once the minimum is met.
        hikari.addBagItem(minimumIdle + 1);
    }

    /** Cancels the refill in progress; with {@code lowerMinimum}, sets the pool's minimum to 0 as well. */
    void cancel(boolean lowerMinimum) {
        synchronized (refillLock) {
            cancelRefill();
            if (lowerMinimum) {
                pool.getHikariConfigMXBean().setMinimumIdle(0);
            }
        }
    }

    /** Cancels the refill and stops its scheduler. */
    @Override
    public void close() {
        synchronized (refillLock) {
            cancelRefill();
            if (refiller != null) {
                refiller.shutdownNow();
            }
        }
    }

    private void cancelRefill() {
        synchronized (refillLock) {
            refillGeneration++;
            for (ScheduledFuture<?> f : refillSteps) {
                f.cancel(false);
            }
            refillSteps.clear();
        }
    }
}
