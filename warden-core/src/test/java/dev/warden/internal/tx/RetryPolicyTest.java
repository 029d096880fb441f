package dev.warden.internal.tx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.tx.RetryPolicy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(10), Duration.ofMillis(100), 2.0);

    @Test
    void ceilingGrowsExponentiallyUpToTheMaximum() {
        assertThat(policy.backoffCeilingNanos(1)).isEqualTo(Duration.ofMillis(10).toNanos());
        assertThat(policy.backoffCeilingNanos(2)).isEqualTo(Duration.ofMillis(20).toNanos());
        assertThat(policy.backoffCeilingNanos(3)).isEqualTo(Duration.ofMillis(40).toNanos());
        assertThat(policy.backoffCeilingNanos(4)).isEqualTo(Duration.ofMillis(80).toNanos());
        assertThat(policy.backoffCeilingNanos(5)).isEqualTo(Duration.ofMillis(100).toNanos());
        assertThat(policy.backoffCeilingNanos(99)).isEqualTo(Duration.ofMillis(100).toNanos());
    }

    @Test
    void fullJitterStaysWithinZeroAndTheCeilingAndIsSpread() {
        long ceiling = policy.backoffCeilingNanos(3);
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < 2_000; i++) {
            long pause = policy.backoffNanos(3);
            assertThat(pause).isBetween(0L, ceiling);
            min = Math.min(min, pause);
            max = Math.max(max, pause);
        }
        assertThat(min).isLessThan(ceiling / 4);
        assertThat(max).isGreaterThan(ceiling * 3 / 4);
    }

    @Test
    void noneMeansOneRunAndNoPause() {
        assertThat(RetryPolicy.none().maxAttempts()).isEqualTo(1);
        assertThat(RetryPolicy.none().backoffNanos(1)).isZero();
    }

    @Test
    void badValuesAreRefusedWithTheRule() {
        assertThatThrownBy(() -> RetryPolicy.of(0, Duration.ZERO, Duration.ZERO))
                .hasMessage("maxAttempts must be from 1 to 100, got 0");
        assertThatThrownBy(() -> RetryPolicy.of(3, Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessageContaining("maxBackoff must be at least initialBackoff");
        assertThatThrownBy(() -> new RetryPolicy(3, Duration.ZERO, Duration.ZERO, 0.5))
                .hasMessageContaining("multiplier must be from 1.0 to 10.0");
        assertThatThrownBy(() -> RetryPolicy.of(3, Duration.ofMillis(-1), Duration.ZERO))
                .hasMessageContaining("must not be negative");
    }
}
