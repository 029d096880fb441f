package dev.warden.internal.tx;

import org.postgresql.util.PSQLException;

/**
 * What PostgreSQL's own answer to a COMMIT says about its outcome when the session ended with it.
 *
 * <p>A server ends a session with an error of severity FATAL at an interrupt check: {@code 57P01}
 * "terminating connection due to administrator command" (a fast shutdown or restart, a switchover,
 * {@code pg_terminate_backend}), {@code 25P03} (idle-in-transaction timeout), {@code 25P04}
 * (transaction timeout). It holds interrupts from before the commit record until the commit is done
 * and reports COMMIT complete before its next interrupt check, so a termination that arrives
 * meanwhile gives {@code CommandComplete(COMMIT)} and then the FATAL, with the commit durable
 * ({@code CommitAppliedThenFatalTest}). pgjdbc's own {@code commit()} drops the {@code CommandComplete}
 * and throws the FATAL: from that exception alone, 57P01 and 25P04 prove nothing. {@link WireCommit}
 * reads the answer message by message: such a FATAL without {@code CommandComplete} before it means
 * the session ended before the commit, which was not applied.
 *
 * <p>{@code 25P03} proves it even without that reading: its timer runs only while the session sits
 * idle in its transaction, and the server disarms it as soon as it has read the next message, before
 * it acts on any pending interrupt and before it runs that message.
 *
 * <p>Everything else that ends a connection during COMMIT (an I/O error, an immediate shutdown or a
 * crash: a WARNING and a closed socket; a session ended while its commit waits for a synchronous
 * standby: a WARNING, "already committed locally", and a closed socket) leaves the outcome unknown.
 * Read on a direct connection only: a pooler ({@code WARDEN_POOLER} other than {@code NONE}) answers
 * in the server's place.
 */
final class CommitAnswer {

    private CommitAnswer() {
    }

    /**
     * True when {@code failure}, thrown by COMMIT on a direct connection, shows that the server did not
     * apply it; {@code readWithoutCompletion} when {@link WireCommit} read the server's answer and no
     * {@code CommandComplete} came before the failure. The first driver exception in the chain
     * decides (a transaction manager may wrap it).
     */
    static boolean notApplied(Throwable failure, boolean readWithoutCompletion) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PSQLException e) {
                if (e.getServerErrorMessage() == null) {
                    return false; // not the server's own error: an I/O error, an abort, a driver timeout
                }
                String state = e.getSQLState();
                return "25P03".equals(state)
                        || readWithoutCompletion && ("57P01".equals(state) || "25P04".equals(state));
            }
        }
        return false;
    }
}
