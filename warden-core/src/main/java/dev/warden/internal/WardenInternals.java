package dev.warden.internal;

import dev.warden.Warden;
import dev.warden.internal.tx.ManagedTransactions;
import dev.warden.internal.tx.TxCounters;
import java.sql.Connection;
import java.util.Objects;

/**
 * The one documented door from Warden's other modules into its engine (as the JDK's
 * {@code SharedSecrets}), for the Spring Boot starter's transaction managers, which run on Warden's
 * pool and keep the guarantees of Warden's own transactions:
 * <ul>
 *   <li>{@link #counters(Warden)}: they count their outcomes in the same counters;</li>
 *   <li>{@link #guardTransactionControl(Connection, boolean)}, {@link #pooled(Connection)},
 *       {@link #endedBySql(Connection)}: the connections they hand out refuse COMMIT/ROLLBACK sent as
 *       SQL inside a transaction, and a transaction that a statement ended is never reported as one
 *       clean commit, exactly as inside {@code warden.transaction(…)};</li>
 *   <li>{@link #managed(Warden)}: a lost COMMIT is resolved with Warden's verifier
 *       ({@code WARDEN_TX_VERIFY_COMMIT}).</li>
 * </ul>
 * Not API: it may change in any release, and the architecture test allows it (with the types it
 * hands out: {@link TxCounters}, {@link ManagedTransactions}) to the starter only.
 */
public final class WardenInternals {

    /** What {@link Warden} hands out through this door; installed by Warden's static initialiser. */
    public interface Access {
        /** The counters behind {@link Warden#txStats()}. */
        TxCounters counters(Warden warden);

        /** What Warden's started transaction engine lends to other managers; null before the pool is open. */
        ManagedTransactions managed(Warden warden);
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

    /**
     * The verifier of lost COMMITs and its setting, of {@code warden}'s started engine; null while
     * Warden has not opened its pool (no transaction can have run then).
     */
    public static ManagedTransactions managed(Warden warden) {
        return access.managed(Objects.requireNonNull(warden, "warden"));
    }

    /**
     * A connection of Warden's pool, handed to another transaction manager's work, that refuses SQL
     * ending the transaction (COMMIT, ROLLBACK, END, BEGIN, …) before it is sent while a transaction runs
     * on it (auto-commit off), and catches a statement that ended it anyway. Commit, rollback and
     * auto-commit pass through: the manager owns them. See {@link ManagedTransactions#guard(Connection, boolean)}.
     */
    public static Connection guardTransactionControl(Connection pooled, boolean autoCommit) {
        return ManagedTransactions.guard(pooled, autoCommit);
    }

    /** The pool's own connection behind a guarded one (to evict it), or {@code c} itself. */
    public static Connection pooled(Connection c) {
        return ManagedTransactions.pooled(c);
    }

    /** Why the transaction on a guarded connection can no longer commit as one unit, or null. */
    public static String endedBySql(Connection c) {
        return ManagedTransactions.endedBySql(c);
    }
}
