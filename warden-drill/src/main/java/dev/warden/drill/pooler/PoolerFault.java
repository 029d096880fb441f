package dev.warden.drill.pooler;

import dev.warden.testing.PgBouncer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The faults of {@code warden drill pgbouncer}, made with PgBouncer's admin console: each returns
 * what PgBouncer did and the window during which PgBouncer held traffic on purpose (a request that
 * waited through it was held by the pooler, not hung by the client).
 */
enum PoolerFault {
    /** No fault: the load as it is. */
    STEADY,
    /** {@code PAUSE}, {@value #PAUSE_MS} ms after it was sent {@code RESUME}. */
    PAUSE,
    /** {@code KILL <db>} (every client and server connection of it dropped), then {@code RESUME <db>}. */
    KILL,
    /** {@code RECONNECT}: each server connection closed once released. */
    RECONNECT;

    static final long PAUSE_MS = 5_000;

    /** What one fault did: figures for the report, and the pooler's own hold (nanoTime; equal when none). */
    record Outcome(Map<String, Object> figures, long holdStart, long holdEnd) {
    }

    Outcome make(PgBouncer bouncer, String database) throws InterruptedException {
        Map<String, Object> f = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        switch (this) {
            case STEADY -> {
                return new Outcome(f, t0, t0);
            }
            case PAUSE -> {
                // PAUSE returns once every server connection is released. In session mode a persistent
                // client pool never releases its server connections, so it does not complete: wait for
                // it no longer than the pause itself, then RESUME, which ends the pending PAUSE.
                CompletableFuture<Void> pause = CompletableFuture.runAsync(bouncer::pause);
                boolean completed;
                try {
                    pause.get(PAUSE_MS, TimeUnit.MILLISECONDS);
                    completed = true;
                } catch (TimeoutException e) {
                    completed = false;
                } catch (ExecutionException e) {
                    throw new IllegalStateException("PAUSE failed", e.getCause());
                }
                long paused = System.nanoTime();
                f.put("pause_completed", completed);
                f.put("pause_completed_after_ms", completed ? (paused - t0) / 1_000_000 : null);
                long rest = PAUSE_MS - (paused - t0) / 1_000_000;
                if (rest > 0) {
                    Thread.sleep(rest);
                }
                bouncer.resume();
                long resumed = System.nanoTime();
                f.put("resumed_after_ms", (resumed - t0) / 1_000_000);
                if (!completed) {
                    // PgBouncer 1.18 never answers a PAUSE that a RESUME ended (the admin connection
                    // waits until psql gives up); the pooler itself runs on.
                    try {
                        pause.get(2, TimeUnit.SECONDS);
                        f.put("pending_pause_answered_after_resume", true);
                    } catch (TimeoutException | ExecutionException e) {
                        f.put("pending_pause_answered_after_resume", false);
                    }
                }
                return new Outcome(f, t0, resumed);
            }
            case KILL -> {
                bouncer.kill(database);
                long killed = System.nanoTime();
                // KILL pauses that database alone: a global RESUME answers "pooler is not paused".
                bouncer.admin("RESUME " + database);
                long resumed = System.nanoTime();
                f.put("killed_after_ms", (killed - t0) / 1_000_000);
                f.put("resumed_after_ms", (resumed - t0) / 1_000_000);
                return new Outcome(f, t0, resumed);
            }
            case RECONNECT -> {
                bouncer.reconnect();
                f.put("reconnect_returned_after_ms", (System.nanoTime() - t0) / 1_000_000);
                return new Outcome(f, t0, t0);
            }
            default -> throw new AssertionError(this);
        }
    }
}
