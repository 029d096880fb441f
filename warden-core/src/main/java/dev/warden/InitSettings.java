package dev.warden;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How Warden initialises the database once per epoch across every process that shares it.
 *
 * @param epoch      the epoch name ({@code WARDEN_INIT_EPOCH}); empty derives it from the migrations'
 *                   checksums, the seed version and the wipe flag
 * @param wipe       drop and recreate the application schemas once per epoch ({@code WARDEN_INIT_WIPE})
 * @param lock       which cross-process lock guards the initialisation, and the lease's timing
 * @param attempts   how many initialisations of one epoch may fail (or die) before every process
 *                   gives up with state FAILED ({@code WARDEN_INIT_ATTEMPTS})
 * @param timeout    how long a process waits for the epoch to be initialised, its own run included,
 *                   not counting the time a live holder (this process or another) runs a migration
 *                   ({@code WARDEN_INIT_TIMEOUT})
 * @param migrations Flyway locations ({@code WARDEN_MIGRATIONS}); empty for none
 * @param idleTimeout how long the server keeps an initialisation session that has gone silent
 *                   ({@code WARDEN_INIT_IDLE_TIMEOUT}): a holder whose host died or was cut off loses
 *                   its advisory lock, and its open transaction, after this; the holder's lock
 *                   session sends a heartbeat every quarter of it
 */
public record InitSettings(Optional<String> epoch, boolean wipe, Lock lock, int attempts, Duration timeout,
                           List<String> migrations, Duration idleTimeout) {

    /**
     * The cross-process lock that guards the initialisation.
     *
     * @param kind      which lock ({@code WARDEN_INIT_LOCK})
     * @param leaseTtl  how long a lease lives without a heartbeat ({@code WARDEN_INIT_LEASE_TTL}; lease lock only)
     * @param heartbeat how often the holder renews its lease ({@code WARDEN_INIT_HEARTBEAT}; lease lock only)
     */
    public record Lock(LockKind kind, Duration leaseTtl, Duration heartbeat) {
        /** Requires every value. */
        public Lock {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(leaseTtl, "leaseTtl");
            Objects.requireNonNull(heartbeat, "heartbeat");
        }
    }

    /** The two {@code InitLock} implementations Warden ships. */
    public enum LockKind {
        /** A PostgreSQL session advisory lock on a dedicated connection: released by the server when the holder dies. */
        ADVISORY,
        /** A row in {@code warden.locks} with heartbeat, expiry and fencing token: portable to any SQL database. */
        LEASE
    }

    public InitSettings {
        Objects.requireNonNull(epoch, "epoch");
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        migrations = List.copyOf(migrations);
    }

    /** These settings with other migrations. */
    public InitSettings withMigrations(List<String> locations) {
        return new InitSettings(epoch, wipe, lock, attempts, timeout, locations, idleTimeout);
    }

    @Override
    public String toString() {
        return "{epoch=" + epoch.orElse("(derived)") + ", wipe=" + wipe + ", lock=" + lock.kind().name().toLowerCase()
                + (lock.kind() == LockKind.LEASE ? ", leaseTtl=" + WardenConfig.format(lock.leaseTtl()) + ", heartbeat="
                + WardenConfig.format(lock.heartbeat()) : "")
                + ", attempts=" + attempts + ", timeout=" + WardenConfig.format(timeout)
                + ", idleTimeout=" + WardenConfig.format(idleTimeout)
                + ", migrations=" + migrations + "}";
    }
}
