package dev.warden.health;

/**
 * What one probe of the database found. The monitor decides from it whether the database is
 * unreachable; keeping "slow" apart from "silent" is what lets a slow database stay READY while a
 * silently dropped network is found within one probe.
 */
public enum ProbeOutcome {
    /** {@code select 1} was answered within the probe timeout. */
    ANSWERED(true),
    /**
     * The probe connection's {@code select 1} got no answer within the timeout, but the server
     * answered a new connection within it: the server is up and reachable, and either slow or that
     * one connection was lost.
     */
    SLOW(false),
    /**
     * The database answered with a refusal or an error: connection refused or reset, server
     * starting up or shutting down, too many connections, authentication failed.
     */
    REFUSED(false),
    /**
     * The server answered, but it cannot take writes (a standby, or a primary demoted in place) and
     * the pool writes: a read-write pool is not READY on it.
     */
    READ_ONLY(false),
    /**
     * No answer at all within the timeout, neither on the probe connection nor on a new connection
     * tried in parallel: the network drops packets or the host is gone.
     */
    SILENT(false);

    private final boolean ok;

    ProbeOutcome(boolean ok) {
        this.ok = ok;
    }

    /** True when the database answered the probe in time. */
    public boolean ok() {
        return ok;
    }
}
