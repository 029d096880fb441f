package dev.warden.internal.tx;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;

/**
 * What Warden's transaction engine lends to transactions that another manager runs on Warden's pool
 * (the Spring Boot starter's JDBC and JPA managers, reached through {@code WardenInternals}):
 * <ul>
 *   <li>the SQL guard of Warden's own transactions: {@link #guard(Connection, boolean)} wraps a pooled
 *       connection so that, while a transaction runs on it, SQL that would end the transaction (COMMIT,
 *       ROLLBACK, END, BEGIN, … as {@code TransactionControl} finds it) is refused before it is sent and
 *       a statement that ended it anyway is caught; the manager asks {@link #endedBySql(Connection)}
 *       before COMMIT and refuses to report such a transaction as one clean commit;</li>
 *   <li>the resolution of a lost COMMIT ({@code verifyCommit}, {@code WARDEN_TX_VERIFY_COMMIT}): a
 *       {@link Ticket} read on the transaction's connection before COMMIT, and {@link #resolve(Ticket, String)}
 *       asking a fresh connection what became of it, exactly as Warden's own transactions do.</li>
 * </ul>
 * Not API: it may change in any release.
 */
public final class ManagedTransactions {

    /** What became of a transaction whose COMMIT was lost with its connection. */
    public enum Outcome {
        /** It committed: the work is done, report success. */
        COMMITTED,
        /** It did not commit: as safe to run again as a failure before COMMIT. */
        ABORTED,
        /** No server could tell within the patience: report the outcome as unknown, never run it again. */
        UNKNOWN
    }

    /** What the verifier needs to know of a transaction, read just before its COMMIT. */
    public static final class Ticket {
        private final CommitVerifier.Ticket ticket;

        private Ticket(CommitVerifier.Ticket ticket) {
            this.ticket = ticket;
        }

        /** The transaction's id, or null when it wrote nothing (then its outcome does not matter). */
        public String xid() {
            return ticket.xid();
        }
    }

    private final CommitVerifier verifier;
    private final boolean verifyCommit;

    ManagedTransactions(CommitVerifier verifier, boolean verifyCommit) {
        this.verifier = verifier;
        this.verifyCommit = verifyCommit;
    }

    /**
     * {@code pooled} guarded against transaction-control SQL while a transaction runs on it;
     * {@code autoCommit} is the connection's auto-commit now (the guard follows later changes).
     */
    public static Connection guard(Connection pooled, boolean autoCommit) {
        return new ManagedConnection(Objects.requireNonNull(pooled, "pooled"), autoCommit);
    }

    /** The pool's connection behind a {@link #guard(Connection, boolean) guard} (e.g. to evict it), or {@code c} itself. */
    public static Connection pooled(Connection c) {
        return c instanceof ManagedConnection m ? m.delegate : c;
    }

    /**
     * Why the transaction running on {@code c} can no longer commit as one unit (a statement ended it,
     * or tried to, with SQL), or null; null too for a connection that is not {@linkplain #guard guarded}.
     */
    public static String endedBySql(Connection c) {
        return c instanceof ManagedConnection m ? m.endedBySql() : null;
    }

    /** True when every transaction's lost COMMIT is to be resolved ({@code WARDEN_TX_VERIFY_COMMIT}). */
    public boolean verifyCommit() {
        return verifyCommit;
    }

    /** One round trip on the transaction's connection, just before COMMIT. */
    public Ticket ticket(Connection c) throws SQLException {
        return new Ticket(CommitVerifier.ticket(c));
    }

    /**
     * What the failure thrown by COMMIT says without a ticket: {@link Outcome#ABORTED} when the server
     * itself answered that it ended the session before applying it (a restart, a switchover,
     * {@code pg_terminate_backend}) on a direct connection, else {@link Outcome#UNKNOWN}.
     */
    public Outcome answered(Throwable failure) {
        return verifier.answered(failure) == CommitVerifier.Outcome.ABORTED ? Outcome.ABORTED : Outcome.UNKNOWN;
    }

    /** Asks fresh connections what became of the transaction, for up to {@code WARDEN_TX_VERIFY_PATIENCE}. */
    public Outcome resolve(Ticket ticket, String label) {
        return switch (verifier.resolve(ticket.ticket, label)) {
            case COMMITTED -> Outcome.COMMITTED;
            case ABORTED -> Outcome.ABORTED;
            case UNKNOWN -> Outcome.UNKNOWN;
        };
    }
}
