package dev.warden;

import java.time.Duration;
import java.time.Instant;

/**
 * Where this process's initialisation stands.
 *
 * @param epoch           the epoch name
 * @param status          where the epoch stands
 * @param owner           who ran (or runs) the epoch's initialisation
 * @param token           that owner's fencing token
 * @param attempts        initialisations of this epoch started so far, by any process
 * @param finishedAt      when the epoch was completed, or null
 * @param initializedHere true when this process ran the initialisation that completed the epoch
 * @param tookOver        true when this process took over from a holder that died or stalled
 * @param step            the current or last step, e.g. {@code "seeding"}
 * @param took            how long this process spent in initialisation (waiting included)
 */
public record InitStatus(String epoch, Status status, String owner, long token, int attempts, Instant finishedAt,
                         boolean initializedHere, boolean tookOver, String step, Duration took) {

    /** Where an epoch stands, as {@code warden.init_epochs.status} records it. */
    public enum Status {
        /** This process waits: for the lock, for the holder, or to check the epoch. */
        WAITING,
        /** A holder is initialising the epoch. */
        IN_PROGRESS,
        /** The epoch is initialised; nobody runs it again. */
        COMPLETED,
        /** The epoch's own work failed {@code WARDEN_INIT_ATTEMPTS} times; every process stops. */
        FAILED
    }
}
