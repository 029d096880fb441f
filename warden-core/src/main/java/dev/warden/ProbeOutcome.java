package dev.warden;

/**
 * What one probe of the database found. The monitor decides from it whether the database is
 * unreachable. Keeping "slow" and "refusing new connections" apart from "silent" and "refused" is
 * what lets an overloaded database stay READY, with its connections, while a silently dropped
 * network is found within one probe: only {@link #REFUSED} and {@link #SILENT} count towards
 * DEGRADED.
 */
public enum ProbeOutcome {
    /** {@code select 1} was answered within half the probe timeout. */
    ANSWERED(true),
    /**
     * The database answered, but late: after half the probe timeout, or the probe connection got no
     * answer within the timeout while the server answered a new connection. Reported and measured
     * (a slow state in the health report), not an outage: nothing is evicted.
     */
    SLOW(true),
    /**
     * A new connection was refused with "too many connections" (53300) or "cannot connect now"
     * (57P03): the server is there and says no to new connections. Not an outage as long as a
     * connection the pool already holds still answers (the monitor checks); a failure otherwise.
     */
    REFUSING_CONNECTIONS(true),
    /**
     * The database answered with a refusal or an error: connection refused or reset, server
     * shutting down, authentication failed. A failure; DEGRADED after {@code WARDEN_MONITOR_FAILURES} in a row.
     */
    REFUSED(false),
    /**
     * The server answered, but it cannot take writes (in recovery, or {@code transaction_read_only}
     * on: a standby or a primary demoted in place), and this pool writes. Not READY: DEGRADED at once.
     */
    READ_ONLY(false),
    /**
     * No answer at all within the timeout, neither on the probe connection nor on a new connection
     * tried in parallel: the network drops packets or the host is gone. DEGRADED at once.
     */
    SILENT(false);

    private final boolean reachable;

    ProbeOutcome(boolean reachable) {
        this.reachable = reachable;
    }

    /**
     * True when the database answered in some way that is not an outage (answered, slow, or refusing
     * only new connections); the monitor still checks the existing connections for
     * {@link #REFUSING_CONNECTIONS}.
     */
    public boolean reachable() {
        return reachable;
    }
}
