package dev.warden.internal.init;

import dev.warden.ErrorKind;
import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which failures during initialisation are waited out and which count as a failed attempt
 * ({@code WARDEN_INIT_ATTEMPTS}). Only the initialisation's own work failing for a reason of its
 * own counts; a lost connection, a server that refuses new connections for now, a session the
 * server ended (idle timeouts, a restart) or a stop of this process never does.
 * <p>
 * Wider than {@link ErrorKind#of}, which decides by the first SQLState of the cause chain: here any
 * waited-out state anywhere in the chain (or in {@link SQLException#getNextException()}) counts, and
 * 53400 is waited out as well. {@link #overloaded} likewise adds 53400 to
 * {@link ErrorKind#refusesNewConnections}.
 */
final class InitFailures {

    /**
     * SQLStates that mean "the server is there but the session ended or cannot start now": 53300
     * too many connections, 53400 configuration limit exceeded, 57P01-57P05 administrator
     * shutdown, crash shutdown, cannot connect now, database dropped, idle session timeout; 25P03
     * idle-in-transaction timeout.
     */
    private static final Set<String> WAITED_OUT = Set.of("53300", "53400", "57P01", "57P02", "57P03", "57P04", "57P05",
            "25P03");

    /** SQLStates of a server that refuses new connections for now. */
    private static final Set<String> OVERLOADED = Set.of("53300", "53400", "57P03");

    private InitFailures() {
    }

    /** True when {@code t} is a connection-level fault (lost, refused for now, ended by the server): waited out. */
    static boolean waitedOut(Throwable t) {
        if (dev.warden.internal.LoginRefusal.of(t).isPresent()) {
            return false; // a refused login (08P01, 28xxx, 3D000): waiting does not change it
        }
        if (ErrorKind.of(t) == ErrorKind.CONNECTION) {
            return true;
        }
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable c = t; c != null && seen.put(c, Boolean.TRUE) == null; c = c.getCause()) {
            if (c instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null && (WAITED_OUT.contains(state) || state.startsWith("08"))) {
                    return true;
                }
                for (Throwable next = sql.getNextException(); next != null && seen.put(next, Boolean.TRUE) == null;
                     next = next instanceof SQLException n ? n.getNextException() : null) {
                    if (waitedOut(next)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** True when the server refuses new connections for now (53300, 53400, 57P03): back off before trying again. */
    static boolean overloaded(Throwable t) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable c = t; c != null && seen.put(c, Boolean.TRUE) == null; c = c.getCause()) {
            if (c instanceof SQLException sql && sql.getSQLState() != null
                    && OVERLOADED.contains(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
