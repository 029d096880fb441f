package dev.warden.tx;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How often and how patiently a transaction is retried after a transient failure
 * ({@link dev.warden.ErrorKind#isRetryable()}): at most {@code maxAttempts} runs in all, with exponential
 * backoff and full jitter between them: before run {@code n+1} Warden sleeps a random time in
 * {@code [0, min(maxBackoff, initialBackoff * multiplier^(n-1))]}.
 *
 * @param maxAttempts    runs in all, the first included; 1 means never retry
 * @param initialBackoff upper bound of the first pause
 * @param maxBackoff     upper bound of any pause
 * @param multiplier     growth of the bound per attempt, at least 1
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier) {

    private static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 1.0);

    /** Checks the values; a bad one throws {@link IllegalArgumentException} naming the rule. */
    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxAttempts < 1 || maxAttempts > 100) {
            throw new IllegalArgumentException("maxAttempts must be from 1 to 100, got " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.isNegative()) {
            throw new IllegalArgumentException("backoffs must not be negative, got " + initialBackoff + " and " + maxBackoff);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException(
                    "maxBackoff must be at least initialBackoff, got " + maxBackoff + " < " + initialBackoff);
        }
        if (!(multiplier >= 1.0 && multiplier <= 10.0)) {
            throw new IllegalArgumentException("multiplier must be from 1.0 to 10.0, got " + multiplier);
        }
    }

    /** Never retry: one run only. */
    public static RetryPolicy none() {
        return NONE;
    }

    /** {@code maxAttempts} runs, backoff doubling from {@code initialBackoff} up to {@code maxBackoff}. */
    public static RetryPolicy of(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
        return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, 2.0);
    }

    /** The same policy with another number of runs in all. */
    public RetryPolicy withMaxAttempts(int attempts) {
        return new RetryPolicy(attempts, initialBackoff, maxBackoff, multiplier);
    }

    /**
     * The upper bound of the pause after failed run {@code attempt} (1-based), before jitter.
     */
    public long backoffCeilingNanos(int attempt) {
        double ceiling = initialBackoff.toNanos() * Math.pow(multiplier, Math.max(0, attempt - 1));
        return (long) Math.min(ceiling, (double) maxBackoff.toNanos());
    }

    /** A pause drawn with full jitter in {@code [0, backoffCeilingNanos(attempt)]}. */
    public long backoffNanos(int attempt) {
        long ceiling = backoffCeilingNanos(attempt);
        return ceiling <= 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1);
    }
}
