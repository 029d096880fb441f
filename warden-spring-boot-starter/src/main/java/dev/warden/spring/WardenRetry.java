package dev.warden.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method (or every public method of the annotated class) again, whole, when it
 * fails with a transient database error: serialization failure (40001), deadlock (40P01) or a lost
 * connection before COMMIT was sent. Put it on the {@code @Transactional} method itself: the retry
 * wraps the transaction, so each run is a fresh transaction. Backoff and attempts are Warden's
 * retry policy ({@code warden.retry.*}).
 *
 * <p>Never retried: any other error (constraint, data, the application's own exceptions), a commit
 * whose outcome is unknown ({@code CommitOutcomeUnknownException}), a refused start
 * ({@code NotReadyException}, {@code DatabaseUnavailableException}), a pool that stayed exhausted, and
 * a call made inside a transaction that was already running (that transaction is the unit of work;
 * retry it where it starts).
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Documented
public @interface WardenRetry {

    /** Runs in all, the first included; 0 (the default) takes {@code warden.retry.max.attempts}. */
    int maxAttempts() default 0;
}
