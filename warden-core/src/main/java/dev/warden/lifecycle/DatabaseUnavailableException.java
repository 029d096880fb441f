package dev.warden.lifecycle;

import dev.warden.WardenException;
import dev.warden.tx.ErrorKind;
import java.time.Instant;

/**
 * The database is unreachable (Warden is DEGRADED): the work was refused at once, without waiting
 * for the pool, and nothing of it ran. Retry later; an HTTP service answers 503 with Retry-After.
 * Its kind is always {@link ErrorKind#CONNECTION}.
 */
public final class DatabaseUnavailableException extends WardenException {

    private final Instant since;

    /**
     * @param since when Warden saw the database become unreachable
     * @param cause the failure that made the work stop, or null when it was refused before it started
     */
    public DatabaseUnavailableException(Instant since, Throwable cause) {
        super("The database is unreachable since " + since + "; the work was not run. Retry later:"
                + " Warden probes the database and accepts work again as soon as it answers.",
                ErrorKind.CONNECTION, cause);
        this.since = since;
    }

    /** When Warden saw the database become unreachable. */
    public Instant since() {
        return since;
    }
}
