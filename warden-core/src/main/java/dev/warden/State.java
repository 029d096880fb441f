package dev.warden;

/** Where a {@code Warden} is in its life. */
public enum State {
    /** Built, not started. */
    STARTING,
    /** Reaching the database, retrying within the start-up deadline. */
    CONNECTING,
    /** Running the exactly-once initialisation (or waiting for the process that does). */
    INITIALIZING,
    /** Serving transactions. */
    READY,
    /** The database is unreachable; work fails fast until it is back. */
    DEGRADED,
    /** Closing: no new work is admitted. */
    STOPPING,
    /** Closed. */
    STOPPED,
    /** Start-up failed for good; the health report says why. */
    FAILED
}
