package dev.warden.internal.tx;

import org.postgresql.util.PSQLException;

/**
 * What PostgreSQL's own answer to a COMMIT says about its outcome when the session ended with it.
 *
 * <p>A server ends a session with an error (severity FATAL) only at an interrupt check:
 * {@code 57P01} "terminating connection due to administrator command" (a fast shutdown or restart,
 * a planned switchover, {@code pg_terminate_backend}), {@code 25P03} (idle in a transaction for
 * longer than {@code idle_in_transaction_session_timeout}) and {@code 25P04} (a transaction longer
 * than {@code transaction_timeout}). It holds interrupts from before the
 * commit record is written until the commit is done, and a session terminated while it waits for a
 * synchronous standby after committing locally gets a WARNING and a closed connection, never a
 * FATAL, which "would lead the client to believe that the transaction aborted" (PostgreSQL's
 * {@code syncrep.c}). So a COMMIT answered with such a FATAL was not applied: the session was ended
 * while idle in its transaction, before the COMMIT reached it, or during COMMIT before its commit
 * record. Everything else that ends a connection during COMMIT (an I/O error, an immediate shutdown
 * or a crash, which PostgreSQL reports with a WARNING and a closed socket) leaves the outcome unknown.
 *
 * <p>The reading assumes what holds for pgjdbc on a direct connection: the driver sends a COMMIT's
 * messages in one write, so the server reads its {@code Sync} with its {@code Execute} and reaches
 * no interrupt check between the commit and its answer. A pooler or proxy answers in the server's
 * place and may split what it forwards, so behind one ({@code WARDEN_POOLER} other than
 * {@code NONE}) the answer is not read: the outcome stays unknown unless verified.
 */
final class CommitAnswer {

    private CommitAnswer() {
    }

    /**
     * True when {@code failure}, thrown by COMMIT on a direct connection, shows that the server did not
     * apply it. The first driver exception in its chain decides (a transaction manager may wrap it).
     */
    static boolean notApplied(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PSQLException e) {
                if (e.getServerErrorMessage() == null) {
                    return false; // not the server's own error: an I/O error, an abort, a timeout
                }
                String state = e.getSQLState();
                return "57P01".equals(state) || "25P03".equals(state) || "25P04".equals(state);
            }
        }
        return false;
    }
}
