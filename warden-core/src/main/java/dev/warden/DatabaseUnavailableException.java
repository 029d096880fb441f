package dev.warden;

import java.time.Instant;

/**
 * The database is unreachable (Warden is DEGRADED): the work was refused at once, without waiting
 * for the pool, and nothing of it ran. Retry later; an HTTP service answers 503 with Retry-After.
 * Its kind is always {@link ErrorKind#CONNECTION}.
 */
public final class DatabaseUnavailableException extends WardenException {

    private final Instant since;
    private final String reason;

    /**
     * @param since when Warden saw the database become unreachable
     * @param cause the failure that made the work stop, or null when it was refused before it started
     */
    public DatabaseUnavailableException(Instant since, Throwable cause) {
        this(since, null, cause);
    }

    /**
     * @param since  when Warden saw the database become unavailable
     * @param reason why (e.g. "the server is read-only"), shown in the message; null or empty for none
     * @param cause  the failure that made the work stop, or null when it was refused before it started
     */
    public DatabaseUnavailableException(Instant since, String reason, Throwable cause) {
        super("The database is " + (reason != null && reason.contains(READ_ONLY) ? "not writable" : "unreachable")
                + " since " + since + (reason == null || reason.isEmpty() ? "" : " (" + reason + ")")
                + "; the work was not run. Retry later: Warden probes the database and accepts work again as soon"
                + " as it answers" + (reason != null && reason.contains(READ_ONLY) ? " as a writable primary." : "."),
                ErrorKind.CONNECTION, cause);
        this.since = since;
        this.reason = reason == null ? "" : reason;
    }

    /** Why the database is unavailable, as the monitor recorded it; empty when not known. */
    public String reason() {
        return reason;
    }

    /** The words a DEGRADED cause contains when the server answered but cannot take writes. */
    public static final String READ_ONLY = "read-only";

    /** When Warden saw the database become unreachable. */
    public Instant since() {
        return since;
    }
}
