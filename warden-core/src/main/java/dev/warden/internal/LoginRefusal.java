package dev.warden.internal;

import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A login the server (or a pooler in front of it) refused for a reason that waiting does not
 * change: a FATAL at start-up such as PgBouncer's {@code unsupported startup parameter} (08P01),
 * its {@code server_login_retry} refusal, a failed authentication (28P01, 28000) or a database that
 * does not exist (3D000). Such an error is a configuration error at once, reported verbatim.
 */
public final class LoginRefusal {

    /** SQLStates of a refused login: protocol violation (PgBouncer's FATALs), authentication, no such database. */
    private static final Set<String> STATES = Set.of("08P01", "28P01", "28000", "3D000");

    private LoginRefusal() {
    }

    /** The server's own message when {@code t} is (or is caused by) a refused login. */
    public static Optional<String> of(Throwable t) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable c = t; c != null && seen.put(c, Boolean.TRUE) == null; c = c.getCause()) {
            // Only an error the server or pooler sent (pgjdbc's own protocol errors, e.g. a connection
            // cut mid-login, carry no server message and are waited out as connection faults).
            if (c instanceof org.postgresql.util.PSQLException sql && sql.getServerErrorMessage() != null
                    && sql.getSQLState() != null && STATES.contains(sql.getSQLState())) {
                return Optional.of(sql.getMessage() + " (SQLState " + sql.getSQLState() + ")");
            }
        }
        return Optional.empty();
    }

    /** The start-up error for a refused login at {@code maskedUrl}. */
    public static String describe(String maskedUrl, String verbatim) {
        return "the database (or the pooler in front of it) at " + maskedUrl + " refused the login: " + verbatim
                + ". This is not waited out: fix the credentials or the pooler's settings (see docs/poolers.md;"
                + " behind PgBouncer set WARDEN_POOLER=session or WARDEN_POOLER=transaction, after its pool_mode)";
    }
}
