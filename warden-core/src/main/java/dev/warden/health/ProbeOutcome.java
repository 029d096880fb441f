package dev.warden.health;

/**
 * What one probe of the database found. Only {@link #UNREACHABLE} counts towards DEGRADED: a
 * database that answers late, or that refuses new connections while the existing ones work, is
 * overloaded, not gone, and Warden does not make it worse by dropping the connections that work.
 */
public enum ProbeOutcome {
    /** The database answered within half the probe timeout. */
    OK,
    /**
     * The database answered, but late: after half the probe timeout, or only on a fresh connection
     * once the kept one had not answered within the timeout. Reported and measured, not an outage.
     */
    SLOW,
    /**
     * The server answered a new connection with "too many connections" (53300) or "cannot connect
     * now" (57P03) while an existing connection still works: overload, not an outage.
     */
    REFUSING_CONNECTIONS,
    /** Nothing answered within the timeout: no connection, no refusal. Counts towards DEGRADED. */
    UNREACHABLE;

    /** True when the database answered in some way, i.e. this outcome is not an outage. */
    public boolean reachable() {
        return this != UNREACHABLE;
    }
}
