package dev.warden.internal.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.warden.LeaseLostException;
import dev.warden.spi.ConnectionFactory;
import dev.warden.spi.InitLock;
import dev.warden.testing.SharedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link InitLock} must do, run against the real embedded PostgreSQL. Each test makes
 * locks named after itself in a schema of its own, so nothing is shared with other tests.
 */
abstract class InitLockContract {

    private static final AtomicInteger SEQ = new AtomicInteger();
    protected String schema;
    private final List<InitLock> opened = new ArrayList<>();

    /** A new lock object on {@code schema}, as a separate process would make it; {@code app} names its sessions. */
    protected abstract InitLock newLock(ConnectionFactory connections, String name);

    /** Makes the holder of {@code lease} vanish the way a crashed process does (for {@code app}'s sessions). */
    protected abstract void killHolder(InitLock.Lease lease, String app) throws Exception;

    /**
     * How long after {@link #killHolder} the lock must be free again: a generous deadline (the
     * machine may be loaded); the tight takeover figures are measured by {@code warden drill init}.
     */
    protected abstract Duration takeoverBound();

    @BeforeEach
    void schema() throws SQLException {
        schema = "lockcontract_" + getClass().getSimpleName().toLowerCase() + "_" + SEQ.incrementAndGet();
        try (Connection c = SharedPostgres.connect()) {
            InitSchema.ensure(c, schema);
        }
    }

    @AfterEach
    void closeLocks() {
        opened.forEach(InitLock::close);
        SharedPostgres.exec("drop schema if exists " + schema + " cascade");
    }

    protected static ConnectionFactory connections(String app) {
        return () -> {
            Properties p = new Properties();
            p.setProperty("user", "postgres");
            p.setProperty("ApplicationName", app);
            return DriverManager.getConnection(SharedPostgres.url(), p);
        };
    }

    private InitLock lock(String app) {
        InitLock l = newLock(connections(app), "contract");
        opened.add(l);
        return l;
    }

    /** Tries {@code lock} every 25 ms until it is taken, within {@link #takeoverBound()}. */
    private static Optional<InitLock.Lease> awaitTakeover(InitLock lock, Duration bound) {
        AtomicReference<Optional<InitLock.Lease>> taken = new AtomicReference<>(Optional.empty());
        await().atMost(bound).pollInterval(Duration.ofMillis(25)).until(() -> {
            taken.set(lock.tryAcquire("b"));
            return taken.get().isPresent();
        });
        return taken.get();
    }

    private Optional<InitLock.Lease> awaitTakeover(InitLock lock) {
        return awaitTakeover(lock, takeoverBound());
    }

    @Test
    void onlyOneHolderAtATimeAndReleaseFreesIt() throws Exception {
        InitLock a = lock("contract-a");
        InitLock b = lock("contract-b");
        Optional<InitLock.Lease> first = a.tryAcquire("a");
        assertThat(first).isPresent();
        assertThat(b.tryAcquire("b")).isEmpty();
        assertThat(a.tryAcquire("a-again")).as("not re-entrant: a second lease from the same process").isEmpty();
        first.get().close();
        Optional<InitLock.Lease> second = b.tryAcquire("b");
        assertThat(second).isPresent();
        assertThat(second.get().token()).isGreaterThan(first.get().token());
        second.get().close();
    }

    @Test
    void tokensIncreaseWithEveryAcquisition() throws Exception {
        InitLock a = lock("contract-a");
        long last = 0;
        for (int i = 0; i < 5; i++) {
            try (InitLock.Lease lease = a.tryAcquire("a").orElseThrow()) {
                assertThat(lease.token()).isGreaterThan(last);
                last = lease.token();
            }
        }
    }

    @Test
    void verifyPassesWhileHeld() throws Exception {
        InitLock a = lock("contract-a");
        try (InitLock.Lease lease = a.tryAcquire("a").orElseThrow(); Connection tx = SharedPostgres.connect()) {
            tx.setAutoCommit(false);
            lease.verify(tx);
            tx.commit();
            assertThat(lease.held()).isTrue();
        }
    }

    @Test
    void aDeadHolderIsTakenOverAndCanNoLongerVerify() throws Exception {
        InitLock a = lock("contract-a");
        InitLock b = lock("contract-b");
        InitLock.Lease lost = a.tryAcquire("a").orElseThrow();
        killHolder(lost, "contract-a");
        Optional<InitLock.Lease> taken = awaitTakeover(b);
        assertThat(taken).as("taken over after the holder died").isPresent();
        assertThat(taken.get().token()).isGreaterThan(lost.token());
        try (Connection tx = SharedPostgres.connect()) {
            tx.setAutoCommit(false);
            assertThatThrownBy(() -> lost.verify(tx)).as("the old holder is fenced off")
                    .isInstanceOf(LeaseLostException.class).hasMessageContaining(String.valueOf(lost.token()));
            tx.rollback();
            taken.get().verify(tx);
            tx.commit();
        }
        assertThat(lost.held()).isFalse();
        taken.get().close();
        lost.close(); // closing a lost lease must not release the new holder's
        assertThat(lock("contract-c").tryAcquire("c")).as("released by its holder").isPresent();
    }

    @Test
    void closingALostLeaseDoesNotReleaseTheNewHolders() throws Exception {
        InitLock a = lock("contract-a");
        InitLock b = lock("contract-b");
        InitLock.Lease lost = a.tryAcquire("a").orElseThrow();
        killHolder(lost, "contract-a");
        InitLock.Lease taken = awaitTakeover(b).orElseThrow();
        lost.close();
        assertThat(lock("contract-c").tryAcquire("c")).as("still held by b").isEmpty();
        taken.close();
    }
}
