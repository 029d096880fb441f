package dev.warden;

/**
 * What one probe of the database found. The monitor decides from it whether the database is
 * unreachable. Keeping "slow" and "refusing new connections" apart from "silent" and "refused" is
 * what lets an overloaded database stay READY, with its connections, while a silently dropped
 * network is found within one probe; keeping {@link #STALLED} (the server's host answers TCP,
 * PostgreSQL does not) apart from {@link #SILENT} (nothing answers TCP) is what lets a server that
 * is stopped for a moment, starved of CPU or behind a paused pooler keep its work instead of having
 * it aborted. Only {@link #SILENT}, {@link #READ_ONLY} and repeated {@link #REFUSED} make READY
 * DEGRADED at once; {@link #STALLED} does so only once it has lasted {@code WARDEN_STALL_BOUND}.
 */
public enum ProbeOutcome {
    /** The probe's query was answered within half the probe timeout. */
    ANSWERED(true),
    /**
     * The database answered a query, but late: after half the probe timeout, or on a new connection
     * while the probe connection stayed silent, or work committed on pooled connections while the
     * probe heard nothing. A login alone never counts as an answer (a pooler completes logins
     * itself). Reported and measured (a slow state in the health report), not an outage: nothing is
     * evicted.
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
     * PostgreSQL answered no query within the timeout, neither on the probe connection nor on a new
     * connection tried in parallel, but the server's address completed a TCP handshake: its host is
     * alive (a stopped or CPU-starved server, a paused pooler, or a TCP proxy in between that hides
     * what lies behind it). Reported at once (health report, metric); DEGRADED only once the silence
     * has lasted {@code WARDEN_STALL_BOUND}. Work in flight is not aborted before then.
     */
    STALLED(false),
    /**
     * No answer at all within the timeout: no query answered on the probe connection nor on a new
     * one, and the server's address did not even complete a TCP handshake (the SYN went
     * unanswered): the network drops packets or the host is gone. DEGRADED at once.
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
