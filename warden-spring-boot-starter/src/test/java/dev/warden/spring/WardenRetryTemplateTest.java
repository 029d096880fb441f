package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.DatabaseUnavailableException;
import dev.warden.NotReadyException;
import dev.warden.State;
import dev.warden.tx.RetryPolicy;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.PessimisticLockingFailureException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;

/** What is retried (and what never is), through Spring's exception translation. */
class WardenRetryTemplateTest {

    private static SQLException state(String sqlState) {
        return new SQLException("x", sqlState);
    }

    @Test
    void transientKindsAreRetriedThroughSpringsExceptions() {
        assertThat(WardenRetryTemplate.retryable(new CannotAcquireLockException("c", state("40001")))).isTrue();
        assertThat(WardenRetryTemplate.retryable(new PessimisticLockingFailureException("d", state("40P01")))).isTrue();
        assertThat(WardenRetryTemplate.retryable(new DataAccessResourceFailureException("e", state("57P01")))).isTrue();
        assertThat(new WardenRetryPredicate().shouldRetry(null, new CannotAcquireLockException("c", state("40001"))))
                .isTrue();
    }

    @Test
    void everythingElseIsNot() {
        assertThat(WardenRetryTemplate.retryable(new DataIntegrityViolationException("u", state("23505")))).isFalse();
        assertThat(WardenRetryTemplate.retryable(new IllegalStateException("app"))).isFalse();
        assertThat(WardenRetryTemplate.retryable(new CommitOutcomeUnknownException("?", "08006", 1, "t",
                state("08006")))).as("commit outcome unknown").isFalse();
        assertThat(WardenRetryTemplate.retryable(new NotReadyException(State.INITIALIZING, "n"))).isFalse();
        assertThat(WardenRetryTemplate.retryable(new DatabaseUnavailableException(Instant.now(), null))).isFalse();
        assertThat(WardenRetryTemplate.retryable(new CannotGetJdbcConnectionException("pool",
                new SQLTransientConnectionException("timed out", "08001")))).as("exhausted pool").isFalse();
        assertThat(WardenRetryTemplate.retryable(new TransactionAbortedException("25P02"))).isFalse();
        assertThat(new WardenRetryPredicate().shouldRetry(null, new DataIntegrityViolationException("u", state("23505"))))
                .isFalse();
    }

    @Test
    void workThatBeganNoTransactionRunsOnceEvenOnATransientFailure() {
        // Retried runs need a transaction begun by this attempt (example: RetrySafetyTest,
        // BankTransactionsTest.serializationFailureIsRetriedWholeToSuccess); without one, nothing
        // proves that the failed run committed nothing, so it is not run again.
        WardenRetryTemplate retry = new WardenRetryTemplate(RetryPolicy.of(3, Duration.ZERO, Duration.ZERO));
        AtomicInteger runs = new AtomicInteger();
        assertThatThrownBy(() -> retry.execute(() -> {
            throw new CannotAcquireLockException("run " + runs.incrementAndGet(), state("40001"));
        })).hasMessage("run 1");
        runs.set(0);
        assertThat(retry.execute(() -> "ok-" + runs.incrementAndGet())).isEqualTo("ok-1");
        runs.set(0);
        assertThatThrownBy(() -> retry.execute(() -> {
            runs.incrementAndGet();
            throw new DataIntegrityViolationException("dup", state("23505"));
        })).isInstanceOf(DataIntegrityViolationException.class);
        assertThat(runs).as("not retried").hasValue(1);
    }
}
