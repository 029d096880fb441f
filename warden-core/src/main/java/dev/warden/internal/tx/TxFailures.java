package dev.warden.internal.tx;

import dev.warden.ErrorKind;
import dev.warden.TransactionException;

/**
 * What a failed transaction throws: unchecked errors as they are, checked ones wrapped once in a
 * {@link TransactionException} that names the label, the kind, the SQLState and the attempts; and the
 * messages of the failures Warden itself detects (a joined call that failed, a COMMIT sent as SQL, an
 * error caught inside the work, a retry refused after a run).
 */
final class TxFailures {

    private TxFailures() {
    }

    /** A call that joined the transaction failed: committing the rest would half-apply the work. */
    static TransactionException innerFailed(Throwable inner, int attempt, String label) {
        return new TransactionException("Transaction '" + label + "' rolled back: a call that joined it"
                + " failed, and committing the rest would half-apply the work. Cause: "
                + inner, ErrorKind.of(inner), sqlState(inner), attempt, label, inner);
    }

    /** A statement of the work ended the transaction (and the work caught the error it got). */
    static TransactionException endedBySql(String ended, int attempt, String label) {
        return new TransactionException("Transaction '" + label + "' is broken: " + ended + ". What ran"
                + " before that statement may be committed; the rest is rolled back. Return from the work"
                + " to commit, throw to roll back.", ErrorKind.UNKNOWN, null, attempt, label, null);
    }

    /** The work caught a statement's error and returned: the server has aborted the transaction. */
    static TransactionException caughtInside(int attempt, String label) {
        return new TransactionException("Transaction '" + label + "' rolled back: a statement failed"
                + " inside the work and its error was caught, so the server aborted the transaction"
                + " (SQLState 25P02). Let the error propagate, or use tx.savepoint(…) to recover"
                + " from an expected failure.", ErrorKind.UNKNOWN, "25P02", attempt, label, null);
    }

    static String sqlState(Throwable error) {
        return ErrorKind.sqlState(error);
    }

    /** An attempt ran and failed, and the retry could not get a connection: both, in that order. */
    static TransactionException ranThenRefused(Throwable ran, Throwable refusal, int attempt, String label) {
        ran.addSuppressed(refusal);
        ErrorKind kind = ErrorKind.of(ran);
        String state = sqlState(ran);
        String why = String.valueOf(ran.getMessage());
        while (why.endsWith(".")) {
            why = why.substring(0, why.length() - 1);
        }
        String refused = "it could not get a connection";
        for (Throwable c = refusal; c != null && c != c.getCause(); c = c.getCause()) {
            if (c instanceof dev.warden.DatabaseUnavailableException du) {
                refused = "the database is unreachable (since " + du.since() + ")";
                break;
            }
        }
        return new TransactionException("Transaction '" + label + "' ran and failed (" + kind
                + (state == null ? "" : ", SQLState " + state) + "): " + why + ". It was not committed;"
                + " the retry (attempt " + attempt + ") was refused before it ran: " + refused + ".",
                kind, state, attempt - 1, label, ran);
    }

    /** Unchecked errors go out as they are; checked ones are wrapped once in a {@link TransactionException}. */
    static RuntimeException rethrow(Throwable t, int attempts, String label) {
        return rethrow(t, ErrorKind.of(t), attempts, label);
    }

    static RuntimeException rethrow(Throwable t, ErrorKind kind, int attempts, String label) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return wrap("Transaction '" + label + "' failed", t, kind, attempts, label);
    }

    static TransactionException wrap(String what, Throwable t, int attempts, String label) {
        return wrap(what, t, ErrorKind.of(t), attempts, label);
    }

    static TransactionException wrap(String what, Throwable t, ErrorKind kind, int attempts, String label) {
        String state = sqlState(t);
        String detail = "25P02".equals(state)
                ? "it was rolled back because an earlier statement failed and its error was caught inside the work"
                : t.getMessage();
        return new TransactionException(what + " (" + kind + (state == null ? "" : ", SQLState " + state)
                + (attempts > 1 ? ", after " + attempts + " attempts" : "") + "): " + detail, kind, state, attempts,
                label, t);
    }
}
