package dev.warden.internal.tx;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.ErrorKind;
import dev.warden.tx.RetryPolicy;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warden's one retry loop, around one attempt of a unit of work (as Jdbi's
 * {@code SerializableTransactionRunner} wraps a {@code TransactionHandler}): core's transactions and
 * the Spring Boot starter's {@code @WardenRetry} / {@code WardenRetryTemplate} both run through it.
 * The attempt owns its connection (begin, commit or roll back, evict a broken one) and reports a
 * failure as a {@link Failed}; the loop decides whether the unit may run again, counts, pauses, and
 * hands the last failure to the caller.
 * <p>
 * A failure runs again only when all hold: its kind {@linkplain ErrorKind#isRetryable() is transient};
 * the attempt says running again is safe (nothing of it can have been committed); no
 * {@link CommitOutcomeUnknownException} is anywhere in its chain; attempts are left; the thread is
 * not interrupted.
 */
public final class RetryLoop {

    private static final Logger log = LoggerFactory.getLogger(RetryLoop.class);

    /** One run of the unit of work; {@code number} counts from 1. */
    @FunctionalInterface
    public interface Attempt<T> {
        T run(int number) throws Failed;
    }

    /**
     * How an attempt failed: the error, its kind (see {@link #kindOf(Throwable, boolean)}), and whether
     * running the unit again is safe (false once anything of it may be committed, or when the
     * failure must reach the caller at once).
     */
    public static final class Failed extends Exception {
        private final Throwable error;
        private final ErrorKind kind;
        private final boolean safeToRunAgain;

        public Failed(Throwable error, ErrorKind kind, boolean safeToRunAgain) {
            super(null, null, false, false);
            this.error = Objects.requireNonNull(error, "error");
            this.kind = Objects.requireNonNull(kind, "kind");
            this.safeToRunAgain = safeToRunAgain;
        }

        public Throwable error() {
            return error;
        }

        public ErrorKind kind() {
            return kind;
        }

        public boolean safeToRunAgain() {
            return safeToRunAgain;
        }
    }

    /** What the caller throws for the last failure (after {@code attempts} attempts). */
    @FunctionalInterface
    public interface Translator {
        RuntimeException translate(Throwable error, ErrorKind kind, int attempts) throws Throwable;
    }

    private RetryLoop() {
    }

    /**
     * Runs {@code attempt} until it returns or fails for good; the last failure is counted in
     * {@code stats} (when not null) and thrown through {@code translator}.
     */
    public static <T> T run(RetryPolicy policy, TxCounters stats, String label, Attempt<T> attempt,
                            Translator translator) throws Throwable {
        Objects.requireNonNull(policy, "policy");
        for (int number = 1; ; number++) {
            Failed f;
            try {
                return attempt.run(number);
            } catch (Failed failed) {
                f = failed;
            }
            Throwable t = f.error();
            if (mayRunAgain(f, number, policy)) {
                if (stats != null) {
                    stats.recordRetried();
                }
                long pause = policy.backoffNanos(number);
                if (log.isDebugEnabled()) {
                    log.debug("Transaction '{}' attempt {} failed ({}: {}); retrying in {} µs", label, number,
                            f.kind(), t.getMessage(), pause / 1000);
                }
                if (pause(pause)) {
                    continue;
                }
                t.addSuppressed(new InterruptedException("interrupted while waiting to retry"));
            }
            if (stats != null) {
                stats.recordFailed(f.kind());
            }
            throw translator.translate(t, f.kind(), number);
        }
    }

    private static boolean mayRunAgain(Failed f, int number, RetryPolicy policy) {
        Throwable t = f.error();
        return f.safeToRunAgain() && f.kind().isRetryable() && number < policy.maxAttempts()
                && !(t instanceof InterruptedException) && !Thread.currentThread().isInterrupted()
                && !CommitOutcomeUnknownException.within(t);
    }

    /**
     * The kind of a failure; SQLState 25006 in a transaction that asked to be read-only is the work's
     * own write (DATA), not a server that lost its primary role (CONNECTION).
     */
    public static ErrorKind kindOf(Throwable t, boolean readOnly) {
        ErrorKind kind = ErrorKind.of(t);
        if (readOnly && kind == ErrorKind.CONNECTION && ErrorKind.readOnlyServer(t)) {
            return ErrorKind.DATA;
        }
        return kind;
    }

    /** Sleeps without losing the interrupt; returns false when interrupted. */
    static boolean pause(long nanos) {
        long deadline = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
        }
        return !Thread.currentThread().isInterrupted();
    }
}
