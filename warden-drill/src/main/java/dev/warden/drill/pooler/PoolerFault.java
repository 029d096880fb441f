package dev.warden.drill.pooler;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.warden.testing.PgBouncer;
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

    /** What one fault did, for the report (in its phase's JSON object, by these names). */
    sealed interface Figures permits Pause, Kill, Reconnect {
    }

    /**
     * {@code PAUSE}: whether it completed and when ({@code pauseCompletedAfterMs} null when it did not),
     * when {@code RESUME} was sent, and, only when the PAUSE did not complete, whether PgBouncer
     * answered it after the RESUME.
     */
    record Pause(boolean pauseCompleted, Long pauseCompletedAfterMs, long resumedAfterMs,
                 @JsonInclude(JsonInclude.Include.NON_NULL) Boolean pendingPauseAnsweredAfterResume) implements Figures {
    }

    /** {@code KILL <db>}: when it returned, and when {@code RESUME <db>} did. */
    record Kill(long killedAfterMs, long resumedAfterMs) implements Figures {
    }

    /** {@code RECONNECT}: when it returned. */
    record Reconnect(long reconnectReturnedAfterMs) implements Figures {
    }

    /**
     * What one fault did: figures for the report (null for {@link #STEADY}), and the pooler's own
     * hold (nanoTime; equal when none).
     */
    record Outcome(Figures figures, long holdStart, long holdEnd) {
    }

    Outcome make(PgBouncer bouncer, String database) throws InterruptedException {
        long t0 = System.nanoTime();
        switch (this) {
            case STEADY -> {
                return new Outcome(null, t0, t0);
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
                long rest = PAUSE_MS - (paused - t0) / 1_000_000;
                if (rest > 0) {
                    Thread.sleep(rest);
                }
                bouncer.resume();
                long resumed = System.nanoTime();
                Boolean answered = null;
                if (!completed) {
                    // PgBouncer 1.18 never answers a PAUSE that a RESUME ended (the admin connection
                    // waits until psql gives up); the pooler itself runs on.
                    try {
                        pause.get(2, TimeUnit.SECONDS);
                        answered = true;
                    } catch (TimeoutException | ExecutionException e) {
                        answered = false;
                    }
                }
                return new Outcome(new Pause(completed, completed ? (paused - t0) / 1_000_000 : null,
                        (resumed - t0) / 1_000_000, answered), t0, resumed);
            }
            case KILL -> {
                bouncer.kill(database);
                long killed = System.nanoTime();
                // KILL pauses that database alone: a global RESUME answers "pooler is not paused".
                bouncer.admin("RESUME " + database);
                long resumed = System.nanoTime();
                return new Outcome(new Kill((killed - t0) / 1_000_000, (resumed - t0) / 1_000_000), t0, resumed);
            }
            case RECONNECT -> {
                bouncer.reconnect();
                return new Outcome(new Reconnect((System.nanoTime() - t0) / 1_000_000), t0, t0);
            }
            default -> throw new AssertionError(this);
        }
    }
}
