package dev.warden.internal;

import java.sql.Connection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The physical connections whose COMMIT has been sent and not yet answered, JVM-wide (a physical
 * connection belongs to one pool). The monitor spares them when it empties the pool for an outage
 * whose network still carries packets (a stalled or refusing server): aborting one would turn a
 * commit the server may still answer into an unknown outcome. Two map operations per commit.
 */
public final class CommitsOnTheWire {

    private static final Set<Connection> SENT = ConcurrentHashMap.newKeySet();

    private CommitsOnTheWire() {
    }

    /** COMMIT is about to be sent on {@code physical}; call {@link #answered(Connection)} in a finally. */
    public static void sent(Connection physical) {
        if (physical != null) {
            SENT.add(physical);
        }
    }

    /** The COMMIT on {@code physical} was answered (or failed). */
    public static void answered(Connection physical) {
        if (physical != null) {
            SENT.remove(physical);
        }
    }

    /** True while a COMMIT on {@code physical} waits for its answer. */
    public static boolean onTheWire(Connection physical) {
        return SENT.contains(physical);
    }
}
