package dev.warden;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.time.Instant;

/**
 * Where this process's initialisation stands.
 *
 * @param epoch       the epoch name
 * @param status      where the epoch stands
 * @param owner       who ran (or runs) the epoch's initialisation, and that owner's fencing token
 * @param attempts    initialisations of this epoch started so far, by any process
 * @param finishedAt  when the epoch was completed, or null
 * @param step        the current or last step, e.g. {@code "seeding"}
 * @param thisProcess this process's part in it: did it initialise, take over, how long it took
 */
public record InitStatus(String epoch, Status status, Owner owner, int attempts, Instant finishedAt, String step,
                         ThisProcess thisProcess) {

    /** True when this process ran the initialisation that completed the epoch; short for {@code thisProcess().initialized()}. */
    public boolean initializedHere() {
        return thisProcess.initialized();
    }

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

    /**
     * Who ran (or runs) an epoch's initialisation. In the health report's JSON its figures are
     * {@code owner} and {@code token}.
     *
     * @param name  the owner: application, host, process id; null while nobody holds the epoch
     * @param token that owner's fencing token; 0 while nobody holds the epoch
     */
    public record Owner(@JsonProperty("owner") String name, long token) {
        /** Nobody yet. */
        public static final Owner NONE = new Owner(null, 0);
    }

    /**
     * This process's part in the initialisation.
     *
     * @param initialized true when this process ran the initialisation that completed the epoch
     * @param tookOver    true when this process took over from a holder that died or stalled
     * @param took        how long this process spent in initialisation (waiting included)
     */
    public record ThisProcess(boolean initialized, boolean tookOver, Duration took) {
    }
}
