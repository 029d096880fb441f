package dev.warden.spring;

import dev.warden.Warden;
import dev.warden.internal.WardenInternals;
import dev.warden.internal.tx.ManagedTransactions;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * {@code warden.tx.verify-commit} ({@code WARDEN_TX_VERIFY_COMMIT}) for Warden's Spring transaction
 * managers: before COMMIT, one statement on the transaction's connection reads its transaction id;
 * when the connection is lost while COMMIT is on the wire, Warden's own verifier asks a fresh
 * connection what became of it (committed: success; aborted: a failure before COMMIT, which
 * {@link WardenRetry} may run again; no answer: {@link dev.warden.CommitOutcomeUnknownException}).
 * Without the setting nothing is read and a lost COMMIT is an unknown outcome at once.
 */
final class CommitVerification {

    private final Warden warden;
    /** Warden's engine once its pool is open (a transaction has run); null before. */
    private volatile ManagedTransactions managed;

    private CommitVerification(Warden warden) {
        this.warden = warden;
    }

    /** For a manager on {@code dataSource}: Warden's when it is a {@link WardenDataSource}, else null (never verified). */
    static CommitVerification of(DataSource dataSource) {
        return dataSource instanceof WardenDataSource w ? new CommitVerification(w.warden()) : null;
    }

    /** True when commits are verified ({@code warden.tx.verify-commit}) and Warden's engine is running. */
    boolean enabled() {
        ManagedTransactions m = engine();
        return m != null && m.verifyCommit();
    }

    /** The ticket for the transaction on {@code con}, or null when commits are not verified. */
    ManagedTransactions.Ticket ticket(Connection con) throws SQLException {
        ManagedTransactions m = engine();
        return m == null || !m.verifyCommit() ? null : m.ticket(con);
    }

    /** What the failure thrown by COMMIT says without a ticket (see {@link ManagedTransactions#answered}). */
    ManagedTransactions.Outcome answered(Throwable failure) {
        ManagedTransactions m = engine();
        return m == null ? ManagedTransactions.Outcome.UNKNOWN : m.answered(failure);
    }

    /** What became of the transaction whose COMMIT was lost. */
    ManagedTransactions.Outcome resolve(ManagedTransactions.Ticket ticket, String name) {
        return engine().resolve(ticket, name);
    }

    private ManagedTransactions engine() {
        ManagedTransactions m = managed;
        if (m == null) {
            m = managed = WardenInternals.managed(warden);
        }
        return m;
    }
}
