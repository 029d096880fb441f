package dev.warden.spring;

/**
 * What one attempt of a {@link WardenRetry} / {@link WardenRetryTemplate} unit of work did to the
 * database, as Warden's transaction managers and {@link WardenDataSource} report it on the attempt's
 * thread. The unit may run again only when this attempt began its work as transactions, none of
 * which committed, and took no connection outside a transaction (auto-commit: each statement
 * committed on its own).
 */
final class RetryScope {

    private static final ThreadLocal<RetryScope> CURRENT = new ThreadLocal<>();

    private int began;
    private boolean beginning;
    private boolean committed;
    private boolean autoCommitted;
    private boolean readOnly;

    private RetryScope() {
    }

    /** Opens a fresh scope for one attempt; the caller closes it with {@link #close()}. */
    static RetryScope open() {
        RetryScope s = new RetryScope();
        CURRENT.set(s);
        return s;
    }

    void close() {
        CURRENT.remove();
    }

    /** A transaction manager is about to begin a new (outermost or REQUIRES_NEW) transaction. */
    static void beginning(boolean readOnly) {
        RetryScope s = CURRENT.get();
        if (s != null) {
            s.began++;
            s.beginning = true;
            s.readOnly |= readOnly;
        }
    }

    /** The transaction's connection is bound (or the begin failed). */
    static void begun() {
        RetryScope s = CURRENT.get();
        if (s != null) {
            s.beginning = false;
        }
    }

    /** A transaction of this attempt committed: running the attempt again would run that work twice. */
    static void committed() {
        RetryScope s = CURRENT.get();
        if (s != null) {
            s.committed = true;
        }
    }

    /** A connection was handed out outside a transaction: its statements commit one by one. */
    static void connectionOutsideTransaction() {
        RetryScope s = CURRENT.get();
        if (s != null && !s.beginning) {
            s.autoCommitted = true;
        }
    }

    /** True when nothing this attempt did can have been committed, so running it again is safe. */
    boolean safeToRunAgain() {
        return began > 0 && !committed && !autoCommitted;
    }

    boolean readOnly() {
        return readOnly;
    }

    /** Why not, for the log; null when it is safe. */
    String whyNot() {
        if (committed) {
            return "a transaction of this attempt committed (a failure after COMMIT, e.g. in afterCommit, is not retried)";
        }
        if (autoCommitted) {
            return "it ran statements outside a transaction (auto-commit), which committed one by one";
        }
        if (began == 0) {
            return "it began no transaction";
        }
        return null;
    }
}
