package dev.warden.spring;

import java.lang.reflect.Method;
import org.springframework.resilience.retry.MethodRetryPredicate;

/**
 * For Spring Framework's own {@code @Retryable(predicate = WardenRetryPredicate.class)}: retries
 * exactly what {@link WardenRetryTemplate#retryable(Throwable)} allows. Without a predicate,
 * {@code @Retryable} retries every exception, a unique-key violation or a commit with an unknown
 * outcome included.
 */
public final class WardenRetryPredicate implements MethodRetryPredicate {

    @Override
    public boolean shouldRetry(Method method, Throwable throwable) {
        return WardenRetryTemplate.retryable(throwable);
    }
}
