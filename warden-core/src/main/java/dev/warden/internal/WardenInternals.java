package dev.warden.internal;

import dev.warden.Warden;
import dev.warden.internal.tx.TxCounters;
import java.util.Objects;

/**
 * The one documented door from Warden's other modules into its engine (as the JDK's
 * {@code SharedSecrets}): the Spring Boot starter's transaction manager counts its outcomes in the
 * same counters as Warden's own transactions. Not API: it may change in any release, and the
 * architecture test allows it to the starter only.
 */
public final class WardenInternals {

    /** What {@link Warden} hands out through this door; installed by Warden's static initialiser. */
    public interface Access {
        /** The counters behind {@link Warden#txStats()}. */
        TxCounters counters(Warden warden);
    }

    private static volatile Access access;

    private WardenInternals() {
    }

    /** Called once by {@link Warden}'s static initialiser; a second call is refused. */
    public static synchronized void install(Access a) {
        Objects.requireNonNull(a, "access");
        if (access != null) {
            throw new IllegalStateException("WardenInternals is installed by Warden once");
        }
        access = a;
    }

    /** The counters of {@code warden}'s transactions, for engines that run on its pool. */
    public static TxCounters counters(Warden warden) {
        return access.counters(Objects.requireNonNull(warden, "warden"));
    }
}
