package dev.warden.internal.tx;

import org.postgresql.util.PSQLException;

/**
 * What PostgreSQL's own answer to a COMMIT says about its outcome when the session ended with it.
 *
 * <p>Only one answer proves that the COMMIT was not applied: {@code FATAL 25P03}, "terminating
 * connection due to idle-in-transaction timeout". The timer behind it runs only while the session
 * sits idle in its transaction after {@code ReadyForQuery}, and the server disarms it as soon as it
 * has read the next message, before it acts on any pending interrupt and before it executes that
 * message: the session was ended before the COMMIT ran.
 *
 * <p>{@code FATAL 57P01} ("administrator command": a fast shutdown, a switchover,
 * {@code pg_terminate_backend}) proves nothing: the server holds interrupts while it writes and
 * flushes the commit record, and acts on a termination that arrived meanwhile at its next interrupt
 * check, which on the extended protocol comes after it has read the {@code Sync} that follows the
 * COMMIT and before {@code ReadyForQuery}: CommandComplete(COMMIT), then the FATAL, with the commit
 * durable ({@code CommitAppliedThenFatalTest}). Neither does {@code 25P04} (transaction timeout),
 * whose timer can fire inside the commit. Those, an I/O error, an immediate shutdown or a crash
 * (a WARNING and a closed socket) leave the outcome unknown.
 *
 * <p>Read on a direct connection only: a pooler ({@code WARDEN_POOLER} other than {@code NONE})
 * answers in the server's place, and its own timeouts are not the server's.
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
                // the server's own error, not an I/O error, an abort or a timeout of the driver
                return e.getServerErrorMessage() != null && "25P03".equals(e.getSQLState());
            }
        }
        return false;
    }
}
