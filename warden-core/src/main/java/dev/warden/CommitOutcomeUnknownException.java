package dev.warden;

/**
 * The connection failed while COMMIT was on its way: the transaction may or may not have been
 * committed, and only reading the data again can tell. Warden never retries such a transaction by
 * itself, because running it again could apply it twice. Make the work idempotent (e.g. with a
 * unique request id) if the caller is to retry it.
 */
public final class CommitOutcomeUnknownException extends TransactionException {

    public CommitOutcomeUnknownException(String message, String sqlState, int attempts, String label,
                                         Throwable cause) {
        super(message, ErrorKind.CONNECTION, sqlState, attempts, label, cause);
    }

    /**
     * True when such an exception is anywhere along {@code error}'s cause chain (e.g. raised by a
     * second Warden inside the work and wrapped by a library): the failure must never be retried.
     */
    public static boolean within(Throwable error) {
        int depth = 0;
        for (Throwable t = error; t != null && depth < 64; t = t.getCause(), depth++) {
            if (t instanceof CommitOutcomeUnknownException) {
                return true;
            }
        }
        return false;
    }
}
