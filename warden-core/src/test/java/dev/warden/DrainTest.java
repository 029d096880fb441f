package dev.warden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.warden.testing.SharedPostgres;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** close() drains: not ready at once, new work refused, work in flight finishes, then the pool closes. */
class DrainTest {

    // Not the common pool: on a 2-core machine it has one thread, and the work in flight blocks it.
    private static final ExecutorService threads = Executors.newCachedThreadPool();

    @Test
    void closeLetsTransactionsInFlightCommitAndRefusesNewOnes() throws Exception {
        SharedPostgres.exec("drop table if exists drained", "create table drained (id int primary key)");
        Warden warden = Warden.create(TestConfig.sharedPostgres().drainTimeout(Duration.ofSeconds(30)).build()).start();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Integer> inFlight = CompletableFuture.supplyAsync(() -> warden.inTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.executeUpdate("insert into drained values (1)");
            }
            inside.countDown();
            assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
            try (Statement st = tx.connection().createStatement()) {
                return st.executeUpdate("insert into drained values (2)");
            }
        }), threads);
        assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(warden::close, threads);
        await().atMost(Duration.ofSeconds(10)).until(() -> warden.state() == State.STOPPING);
        assertThat(warden.health().state()).isEqualTo(State.STOPPING); // what /health/ready reads: not ready
        NotReadyException refused = catchThrowableOfType(NotReadyException.class, () -> warden.inTransaction(tx -> 1));
        assertThat(refused.state()).isEqualTo(State.STOPPING);
        assertThat(refused.getMessage()).contains("STOPPING").contains("takes no new work");
        assertThat(closing).isNotDone(); // waits for the transaction in flight
        release.countDown();
        assertThat(inFlight.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        closing.get(30, TimeUnit.SECONDS);
        assertThat(warden.state()).isEqualTo(State.STOPPED);
        assertThat(SharedPostgres.queryLong("select count(*) from drained")).isEqualTo(2);
        assertThat(warden.lifecycle().history().getLast().cause()).contains("after draining 1 transaction");
    }

    @Test
    void drainIsBoundedByTheTimeoutThenCutsWhatStillRuns() throws Exception {
        Warden warden = Warden.create(TestConfig.sharedPostgres().drainTimeout(Duration.ofMillis(300))
                .retryMaxAttempts(1).build()).start();
        CountDownLatch inside = new CountDownLatch(1);
        CompletableFuture<Integer> stuck = CompletableFuture.supplyAsync(() -> warden.inTransaction(tx -> {
            inside.countDown();
            try (Statement st = tx.connection().createStatement()) {
                st.execute("select pg_sleep(20)");
            }
            return 1;
        }), threads);
        assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        warden.close();
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(tookMs).as("close() waits about WARDEN_DRAIN_TIMEOUT, not the 20 s statement").isLessThan(15_000);
        assertThat(warden.state()).isEqualTo(State.STOPPED);
        assertThat(warden.lifecycle().history().getLast().cause()).contains("drain timed out");
        assertThat(stuck).failsWithin(Duration.ofSeconds(30));
    }
}
