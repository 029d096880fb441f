package dev.warden.example.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.ErrorKind;
import dev.warden.spring.WardenRetryTemplate;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Retries are safe by construction (issue 19): a unit of work runs again only when nothing of its
 * failed attempt can have been committed. Each test fails on a retry loop that looks at the error alone.
 */
class RetrySafetyTest extends BankTestBase {

    private static final AtomicLong ids = new AtomicLong(5000);

    @Autowired
    UnsafeRetryWork work;
    @Autowired
    WardenRetryTemplate retry;
    @Autowired
    JdbcClient jdbc;

    private long a;

    @BeforeEach
    void freshAccount() {
        a = ids.incrementAndGet();
        jdbc.sql("insert into account (id, owner, balance) values (?, 'r', 100)").param(a).update();
        UnsafeRetryWork.runs.set(0);
    }

    private long balance() {
        return jdbc.sql("select balance from account where id = ?").param(a).query(Long.class).single();
    }

    @Test
    void afterCommitFailureIsNotRetried() {
        long retries = warden.health().transactions().retries();
        assertThatThrownBy(() -> work.depositThenAfterCommitFails(a, 5))
                .hasMessageContaining("notification channel lost");
        assertThat(ErrorKind.of(new RuntimeException(new java.sql.SQLException("x", "08006"))))
                .as("the failure's kind alone would be retried").isEqualTo(ErrorKind.CONNECTION);
        assertThat(UnsafeRetryWork.runs).as("the committed method ran once").hasValue(1);
        assertThat(balance()).as("deposited once").isEqualTo(105);
        assertThat(warden.health().transactions().retries()).isEqualTo(retries);
    }

    @Test
    void wardenRetryWithoutTransactionDoesNotRerunAutoCommittedStatements() {
        assertThatThrownBy(() -> work.depositAutoCommittedThenLoseSession(a, 5))
                .satisfies(e -> assertThat(ErrorKind.of(e)).isEqualTo(ErrorKind.CONNECTION));
        assertThat(UnsafeRetryWork.runs).hasValue(1);
        assertThat(balance()).as("the auto-committed deposit ran once").isEqualTo(105);
    }

    @Test
    void retryTemplateAroundPlainJdbcCallsDoesNotRerunThem() {
        assertThatThrownBy(() -> retry.execute(() -> {
            work.depositThenLoseSession(a, 5);
            return null;
        })).satisfies(e -> assertThat(ErrorKind.of(e)).isEqualTo(ErrorKind.CONNECTION));
        assertThat(UnsafeRetryWork.runs).hasValue(1);
        assertThat(balance()).isEqualTo(105);
    }

    @Test
    void writeInReadOnlyTransactionIsDataAndNotRetried() {
        assertThatThrownBy(() -> work.writeInReadOnly(a))
                .satisfies(e -> assertThat(ErrorKind.sqlState(e)).isEqualTo("25006"));
        assertThat(UnsafeRetryWork.runs).as("25006 in a read-only transaction is not retried").hasValue(1);
        assertThat(balance()).isEqualTo(100);
    }
}
