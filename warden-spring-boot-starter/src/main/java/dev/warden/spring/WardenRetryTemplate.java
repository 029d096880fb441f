package dev.warden.spring;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.DatabaseUnavailableException;
import dev.warden.ErrorKind;
import dev.warden.NotReadyException;
import dev.warden.internal.tx.RetryLoop;
import dev.warden.internal.tx.TxCounters;
import dev.warden.tx.RetryPolicy;
import java.sql.SQLTransientConnectionException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Runs a whole unit of work again under Warden's {@link RetryPolicy} when it fails with a transient
 * database error ({@link #retryable(Throwable)}): use it around a {@code TransactionTemplate} call or
 * a {@code @Transactional} bean method, never inside the transaction. {@link WardenRetry} does the
 * same for annotated methods.
 * <pre>{@code
 * retry.execute(() -> transactionTemplate.execute(status -> transfer(from, to, amount)));
 * }</pre>
 * Called while a transaction is already active on the thread, it runs the work once: the outer
 * transaction is the unit of work, and only its starter can run it again.
 * <p>
 * A failed attempt runs again only when it is safe by construction: the attempt began its work as
 * transactions on Warden's transaction managers, none of them committed (a failure after COMMIT,
 * such as an exception from {@code afterCommit}, is logged and goes to the caller), and it took no
 * connection outside a transaction (auto-committed statements are never run twice: plain
 * {@code JdbcTemplate} calls run once). SQLState 25006 in a read-only transaction is the work's own
 * write (DATA), never retried; an unknown commit outcome is never retried. The loop is Warden's own,
 * the one its {@code inTransaction} runs.
 */
public final class WardenRetryTemplate {

    private static final Logger log = LoggerFactory.getLogger(WardenRetryTemplate.class);

    private final RetryPolicy policy;
    private final TxCounters stats;

    public WardenRetryTemplate(RetryPolicy policy) {
        this(policy, null);
    }

    /** With Warden's counters: each retry counts in {@code warden.transaction.retries} and the health report. */
    public WardenRetryTemplate(RetryPolicy policy, TxCounters stats) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.stats = stats;
    }

    /** The policy it runs with. */
    public RetryPolicy policy() {
        return policy;
    }

    /** Runs {@code work}, again after a transient failure; the last failure goes out unchanged. */
    public <T> T execute(Supplier<T> work) {
        try {
            return call(work::get, policy, stats);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t); // a Supplier cannot throw a checked exception
        }
    }

    /** Work that may throw anything (a method invocation). */
    @FunctionalInterface
    interface Work<T> {
        T run() throws Throwable;
    }

    static <T> T call(Work<T> work, RetryPolicy policy, TxCounters stats) throws Throwable {
        if (TransactionSynchronizationManager.isActualTransactionActive()) {
            return work.run();
        }
        // Warden's one retry loop (core's transactions run through it too); this side only says
        // what one attempt did, through the transaction managers' and the DataSource's reports.
        return RetryLoop.run(policy, stats, "retry", number -> attempt(work, number),
                (t, kind, attempts) -> {
                    throw t;
                });
    }

    private static <T> T attempt(Work<T> work, int number) throws RetryLoop.Failed {
        RetryScope scope = RetryScope.open();
        try {
            return work.run();
        } catch (Throwable t) {
            ErrorKind kind = RetryLoop.kindOf(t, scope.readOnly());
            boolean safe = scope.safeToRunAgain() && retryable(t);
            if (!safe && kind.isRetryable() && scope.whyNot() != null) {
                log.warn("Attempt {} failed ({}: {}) and is not run again: {}", number, kind, t.getMessage(),
                        scope.whyNot());
            }
            throw new RetryLoop.Failed(t, kind, safe);
        } finally {
            scope.close();
        }
    }

    /**
     * True when running the whole unit of work again may succeed and is safe: the failure's
     * {@link ErrorKind} is SERIALIZATION, DEADLOCK or CONNECTION, and it is not a commit with an
     * unknown outcome, a refusal by the readiness gate or an exhausted pool.
     */
    public static boolean retryable(Throwable error) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable t = error; t != null && seen.put(t, Boolean.TRUE) == null; t = t.getCause()) {
            if (t instanceof CommitOutcomeUnknownException || t instanceof NotReadyException
                    || t instanceof DatabaseUnavailableException || t instanceof SQLTransientConnectionException
                    || t instanceof TransactionAbortedException) {
                return false;
            }
        }
        return ErrorKind.of(error).isRetryable();
    }
}
