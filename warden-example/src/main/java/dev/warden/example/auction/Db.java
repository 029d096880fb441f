package dev.warden.example.auction;

import dev.warden.Warden;
import dev.warden.tx.Isolation;
import dev.warden.tx.TransactionBuilder;
import java.sql.Connection;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.core.Jdbi;

/**
 * Jdbi on Warden transactions. Jdbi is used as a statement runner only: each {@link Handle} wraps
 * the connection of the running Warden transaction, and Warden alone begins, commits, rolls back
 * and retries. Jdbi never opens a pooled connection of its own; using it outside {@link #tx} fails.
 */
final class Db {

    /** The work of one transaction, on a Jdbi handle bound to it. */
    @FunctionalInterface
    interface HandleWork<T> {
        T run(Handle h) throws Exception;
    }

    private static final ThreadLocal<Connection> CURRENT = new ThreadLocal<>();

    private final Warden warden;
    private final Jdbi jdbi;

    Db(Warden warden) {
        this.warden = warden;
        this.jdbi = Jdbi.create(() -> {
            Connection c = CURRENT.get();
            if (c == null) {
                throw new IllegalStateException("Jdbi used outside a Warden transaction; go through Db.tx(…)");
            }
            return c; // Warden's transaction connection: close() is a no-op, commit/rollback are refused.
        });
        // The transaction is Warden's: a Handle closing inside it must not try to end it.
        jdbi.getConfig(Handles.class).setForceEndTransactions(false);
    }

    /** Runs {@code work} in one read-write Warden transaction labelled {@code label}. */
    <T> T tx(String label, HandleWork<T> work) {
        return run(warden.transaction().label(label), work);
    }

    /** Like {@link #tx} with an isolation level. */
    <T> T tx(String label, Isolation isolation, HandleWork<T> work) {
        return run(warden.transaction().label(label).isolation(isolation), work);
    }

    /** Runs {@code work} in one read-only Warden transaction. */
    <T> T read(String label, HandleWork<T> work) {
        return run(warden.transaction().label(label).readOnly(), work);
    }

    private <T> T run(TransactionBuilder builder, HandleWork<T> work) {
        return builder.call(tx -> {
            Connection previous = CURRENT.get();
            CURRENT.set(tx.connection());
            try (Handle h = jdbi.open()) {
                return work.run(h);
            } finally {
                if (previous == null) {
                    CURRENT.remove();
                } else {
                    CURRENT.set(previous);
                }
            }
        });
    }
}
