package dev.warden.spi;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The cross-process lock that lets exactly one process initialise an epoch. Warden ships two:
 * {@code AdvisoryInitLock} (a PostgreSQL session advisory lock, released by the server the moment
 * its holder dies) and {@code LeaseInitLock} (a lease row with heartbeat, expiry and fencing token,
 * for databases without session locks). Both live outside the application schemas, so no wipe can
 * delete them, and both hand out a fencing token that increases with every acquisition.
 * <p>
 * Implementations must pass {@code InitLockContract} in Warden's tests: mutual exclusion, release,
 * takeover after the holder dies, increasing tokens, and {@link Lease#verify(Connection)} failing
 * once the lease is lost.
 */
public interface InitLock extends AutoCloseable {

    /**
     * Tries once, without waiting, to take the lock for {@code owner}.
     *
     * @return the held lease, or empty when another process holds it
     */
    Optional<Lease> tryAcquire(String owner) throws SQLException;

    /** A short description for logs and reports, e.g. {@code advisory lock (1463898692, 17)}. */
    String describe();

    /** Releases whatever this lock object holds open (connections, threads). */
    @Override
    void close();

    /** One holding of the lock. Close it to release. */
    interface Lease extends AutoCloseable {

        /** The fencing token: larger than that of every earlier lease of this lock. */
        long token();

        /** Who holds it. */
        String owner();

        /**
         * Checks, inside the caller's transaction on {@code tx}, that this lease is still held, and
         * keeps it from being taken over until that transaction ends. Call it in the same
         * transaction as the write it guards, just before commit.
         *
         * @throws dev.warden.LeaseLostException the lease expired or its session died
         */
        void verify(Connection tx) throws SQLException;

        /**
         * This process's own view: false once it knows the lease is lost (a failed heartbeat, a
         * failed {@link #verify(Connection)}, or {@link #close()}).
         */
        boolean held();

        /**
         * Runs {@code action} (once, on the lock's own thread) when this lease finds its session
         * dead or unreachable, so the holder can cut its work at once instead of at its next step.
         * A lease that never finds out by itself may ignore it.
         */
        default void onLost(Runnable action) {
        }

        /** Releases the lock (best effort: a dead session or an expired lease is released anyway). */
        @Override
        void close();
    }
}
