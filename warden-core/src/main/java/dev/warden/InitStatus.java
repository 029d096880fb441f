package dev.warden;

import java.time.Duration;
import java.time.Instant;

/**
 * Where this process's initialisation stands.
 *
 * @param epoch           the epoch name
 * @param status          {@code WAITING}, {@code IN_PROGRESS}, {@code COMPLETED} or {@code FAILED}
 * @param owner           who ran (or runs) the epoch's initialisation
 * @param token           that owner's fencing token
 * @param attempts        initialisations of this epoch started so far, by any process
 * @param finishedAt      when the epoch was completed, or null
 * @param initializedHere true when this process ran the initialisation that completed the epoch
 * @param tookOver        true when this process took over from a holder that died or stalled
 * @param step            the current or last step, e.g. {@code "seeding"}
 * @param took            how long this process spent in initialisation (waiting included)
 */
public record InitStatus(String epoch, String status, String owner, long token, int attempts, Instant finishedAt,
                         boolean initializedHere, boolean tookOver, String step, Duration took) {
}
