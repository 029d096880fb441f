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
 * does not exist (3D000), or pgjdbc's own 08004 when the server asks for a password none was given
 * for. Such an error is a configuration error at once, reported verbatim.
 */
public final class LoginRefusal {

    /** SQLStates of a refused login: protocol violation (PgBouncer's FATALs), authentication, no such database. */
    private static final Set<String> STATES = Set.of("08P01", "28P01", "28000", "3D000");

    /** pgjdbc's own refusal of a login it cannot complete (a password the server asks for and none given). */
    private static final String CLIENT_REFUSED = "08004";

    private LoginRefusal() {
    }

    /** The server's own message when {@code t} is (or is caused by) a refused login. */
    public static Optional<String> of(Throwable t) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable c = t; c != null && seen.put(c, Boolean.TRUE) == null; c = c.getCause()) {
            // Only an error the server or pooler sent (pgjdbc's own protocol errors, e.g. a connection
            // cut mid-login, carry no server message and are waited out as connection faults).
            // pgjdbc's 08004 is a login it refuses to complete itself: the server asked for a password
            // none was configured for, or for an authentication method or SSL it cannot do.
            if (c instanceof org.postgresql.util.PSQLException sql && sql.getSQLState() != null
                    && (sql.getServerErrorMessage() != null && STATES.contains(sql.getSQLState())
                    || sql.getSQLState().equals(CLIENT_REFUSED))) {
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
