package dev.warden.example.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.ErrorKind;
import dev.warden.spring.TransactionAbortedException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/** What {@code @Transactional}, {@code TransactionTemplate} and {@code JdbcClient} get from the starter. */
class BankTransactionsTest extends BankTestBase {

    private static final AtomicLong ids = new AtomicLong(1000);

    @Autowired
    Bank bank;
    @Autowired
    ConflictingWork conflicting;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    TransactionTemplate template;
    @Autowired
    PropagationWork propagation;

    private long a;
    private long b;

    @BeforeEach
    void twoFreshAccounts() {
        a = ids.incrementAndGet();
        b = ids.incrementAndGet();
        // Outside any transaction: auto-commit, as Spring users expect from JdbcClient.
        jdbc.sql("insert into account (id, owner, balance) values (?, 'a', 100), (?, 'b', 100)").params(a, b).update();
        ConflictingWork.runs.set(0);
    }

    private long balance(long id) {
        return bank.account(id).orElseThrow().balance();
    }

    @Test
    void seededAccountsAndTransferCommitOnce() throws Exception {
        assertThat(bank.accounts()).extracting(Bank.Account::owner).contains("ada", "grace", "edsger");
        long committed = warden.health().transactions().committed();
        bank.transfer(a, b, 30, null);
        assertThat(warden.health().transactions().committed()).as("counted in Warden's report and metrics")
                .isEqualTo(committed + 1);
        assertThat(balance(a)).isEqualTo(70);
        assertThat(balance(b)).isEqualTo(130);
    }

    @Test
    void checkedExceptionRollsBackTheDebit() {
        assertThatThrownBy(() -> bank.transfer(a, b, 500, null)).isInstanceOf(InsufficientFundsException.class);
        assertThat(balance(b)).as("the credit ran before the exception and was rolled back").isEqualTo(100);
        assertThat(balance(a)).isEqualTo(100);
    }

    @Test
    void caughtSqlErrorIsNeverCommittedAsSuccess() throws Exception {
        String note = "note-" + a;
        bank.transfer(a, b, 1, note);
        assertThatThrownBy(() -> bank.transferSwallowingErrors(a, b, 10, note))
                .isInstanceOf(TransactionAbortedException.class)
                .hasMessageContaining("25P02");
        assertThat(balance(a)).isEqualTo(99);
        assertThat(balance(b)).isEqualTo(101);
        // The connection did not go back in the aborted state: plain work on the pool goes on.
        for (int i = 0; i < 20; i++) {
            assertThat(jdbc.sql("select 1").query(Integer.class).single()).isEqualTo(1);
        }
    }

    @Test
    void transactionTemplateRollsBackOnRuntimeException() {
        assertThatThrownBy(() -> template.executeWithoutResult(status -> {
            jdbc.sql("update account set balance = 0 where id = ?").param(a).update();
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThat(balance(a)).isEqualTo(100);
    }

    @Test
    void errorKindIsVisibleThroughSpringsTranslation() {
        assertThatThrownBy(() -> template.executeWithoutResult(status ->
                jdbc.sql("update account set balance = -1 where id = ?").param(a).update()))
                .isInstanceOf(DataIntegrityViolationException.class)
                .satisfies(e -> assertThat(ErrorKind.of(e)).isEqualTo(ErrorKind.CONSTRAINT));
    }

    @Test
    void serializationFailureSurfacesWithItsKindWithoutRetry() {
        assertThatThrownBy(() -> conflicting.addInterestOnce(a, 5))
                .isInstanceOf(ConcurrencyFailureException.class)
                .satisfies(e -> assertThat(ErrorKind.of(e)).isEqualTo(ErrorKind.SERIALIZATION));
        assertThat(ConflictingWork.runs).hasValue(1);
        assertThat(balance(a)).as("only the other session's +1").isEqualTo(101);
    }

    @Test
    void serializationFailureIsRetriedWholeToSuccess() {
        long retries = warden.health().transactions().retries();
        long seen = conflicting.addInterestRetried(a, 5);
        assertThat(warden.health().transactions().retries()).isEqualTo(retries + 1);
        assertThat(ConflictingWork.runs).as("first run hit 40001, second committed").hasValue(2);
        assertThat(seen).as("the second run read the other session's write").isEqualTo(101);
        assertThat(balance(a)).isEqualTo(106);
    }

    /**
     * A {@code @WardenRetry} method that joins an outer transaction is not the unit of work: running
     * it again would repeat only its part, inside an outer transaction already lost. It runs once;
     * the failure reaches the outer transaction's starter.
     */
    @Test
    void wardenRetryInsideAnOuterTransactionDoesNotRetryTheJoinedPart() {
        long retries = warden.health().transactions().retries();
        assertThatThrownBy(() -> template.executeWithoutResult(status -> {
            jdbc.sql("update account set balance = balance - 1 where id = ?").param(b).update();
            conflicting.depositLosingSessionOnce(a, 7);
        })).satisfies(e -> assertThat(ErrorKind.of(e)).isEqualTo(ErrorKind.CONNECTION));
        assertThat(ConflictingWork.runs).as("the joined method ran once").hasValue(1);
        assertThat(warden.health().transactions().retries()).isEqualTo(retries);
        assertThat(balance(a)).isEqualTo(100);
        assertThat(balance(b)).isEqualTo(100);
    }

    @Test
    void lostSessionBeforeCommitIsRetriedOnAFreshConnection() {
        conflicting.depositLosingSessionOnce(a, 7);
        assertThat(ConflictingWork.runs).hasValue(2);
        assertThat(balance(a)).as("applied exactly once").isEqualTo(107);
    }

    @Test
    void nestedSavepointRecoversFromAnExpectedSqlError() {
        String note = "nested-" + a;
        assertThat(propagation.payNotingIfNew(a, b, 10, note)).isTrue();
        assertThat(propagation.payNotingIfNew(a, b, 5, note)).as("duplicate note, rolled back to the savepoint").isFalse();
        assertThat(balance(a)).as("both payments committed").isEqualTo(85);
        assertThat(balance(b)).isEqualTo(115);
        assertThat(jdbc.sql("select count(*) from transfer where note = ?").param(note).query(Long.class).single())
                .isEqualTo(1);
    }

    @Test
    void requiresNewCommitsOnItsOwnWhileTheOuterRollsBack() {
        String note = "new-" + a;
        assertThatThrownBy(() -> propagation.payNotedThenFail(a, b, 10, note)).hasMessage("after the note");
        assertThat(balance(a)).isEqualTo(100);
        assertThat(jdbc.sql("select count(*) from transfer where note = ?").param(note).query(Long.class).single())
                .isEqualTo(1);
    }
}
