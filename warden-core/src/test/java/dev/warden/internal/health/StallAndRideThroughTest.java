package dev.warden.internal.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.DatabaseUnavailableException;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.WardenException;
import dev.warden.testing.Signals;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A server that is alive but silent (every PostgreSQL process stopped with SIGSTOP: its kernel still
 * completes TCP handshakes) is not an outage: reported STALLED, nothing aborted, nothing refused,
 * nothing failed. New work that arrives while the database is really unavailable (a restart) waits
 * within {@code WARDEN_RIDE_THROUGH} and then runs; past the bound it fails fast; waiters are bounded
 * in number and leave at shutdown. On its own server: stopping the shared one would disturb others.
 */
class StallAndRideThroughTest {

    private static ThrowawayDatabase db;
    private Warden warden;

    @BeforeAll
    static void server() {
        db = ThrowawayDatabase.start("warden-stall");
    }

    @AfterAll
    static void stopServer() {
        db.close();
    }

    @AfterEach
    void stop() {
        if (db.running()) {
            Signals.continueAll(Signals.withDescendants(db.postmasterPid()));
        }
        if (warden != null) {
            warden.close();
        }
        db.restart();
    }

    private Warden start(WardenConfig.Builder b) {
        warden = Warden.create(b.environment(Map.of()).dbUrl(db.jdbcUrl()).applicationName("stall-test")
                .retryInitialBackoff(Duration.ofMillis(1)).retryMaxBackoff(Duration.ofMillis(50)).build());
        warden.start();
        warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.execute("create table if not exists stall_writes (id bigserial primary key)");
            }
        });
        return warden;
    }

    private void write() {
        warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.execute("insert into stall_writes default values");
            }
        });
    }

    @Test
    void aServerStoppedForFourSecondsIsReportedStalledAndFailsNothing() throws Exception {
        // Fewer connections than writers, and an acquire timeout shorter than the stall: a writer
        // waiting for a connection is held within the ride-through, not given a pool timeout.
        start(WardenConfig.builder().poolMaxSize(3).poolAcquireTimeout(Duration.ofSeconds(2)));
        AtomicBoolean running = new AtomicBoolean(true);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> writers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            writers.add(Thread.ofPlatform().daemon().start(() -> {
                for (int n = 0; n < 100_000 && running.get(); n++) {
                    try {
                        write();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> warden.health().transactions().committed() > 20);
        long stoppedAt = System.nanoTime();
        long[] pids = Signals.stopTree(db.postmasterPid());
        try {
            // Reported: the probe sees TCP answered and no query answered.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(warden.health().monitor().stall().since())
                    .as(() -> "stalledSince; the monitor reports " + warden.health().monitor()).isNotNull());
            await().atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() - stoppedAt >= TimeUnit.SECONDS.toNanos(4));
        } finally {
            Signals.continueAll(pids);
        }
        long committed = warden.health().transactions().committed();
        await().atMost(Duration.ofSeconds(20)).until(() -> warden.health().transactions().committed() > committed + 20);
        running.set(false);
        for (Thread t : writers) {
            t.join(30_000);
        }
        assertThat(warden.health().monitor().probes().stalled()).isPositive();
        assertThat(warden.health().monitor().lastProbe().outcome()).isNotNull();
        assertThat(warden.lifecycle().history()).as("never DEGRADED")
                .noneMatch(t -> t.to() == State.DEGRADED);
        assertThat(failures).as("work failed during a 4 s stall").isEmpty();
    }

    /**
     * As in a Patroni switchover seen as a stall: the connections in use are cut (57P01) and then the
     * server is silent, so the retries need new connections, whose logins time out (a failure with a
     * cause, not a busy pool). The retries are held within the ride-through, not refused after the
     * acquire timeout.
     */
    @Test
    void workWhoseConnectionWasCutIsHeldWhileNewConnectionsFailDuringAStall() throws Exception {
        // verifyCommit: a COMMIT cut on the wire is resolved, not an unknown outcome (not what this is about).
        start(WardenConfig.builder().poolMaxSize(3).poolAcquireTimeout(Duration.ofSeconds(2))
                .connectTimeout(Duration.ofSeconds(1)).stallBound(Duration.ofSeconds(30))
                .rideThrough(Duration.ofSeconds(30)).txVerifyCommit(true));
        AtomicBoolean running = new AtomicBoolean(true);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> writers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            writers.add(Thread.ofPlatform().daemon().start(() -> {
                for (int n = 0; n < 100_000 && running.get(); n++) {
                    try {
                        // Most of each transaction before its COMMIT: the cut mostly hits work, which is retried.
                        warden.useTransaction(tx -> {
                            try (Statement st = tx.connection().createStatement()) {
                                st.execute("insert into stall_writes default values");
                                st.execute("select pg_sleep(0.02)");
                            }
                        });
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> warden.health().transactions().committed() > 20);
        long[] pids;
        try (java.sql.Connection admin = java.sql.DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
             Statement st = admin.createStatement()) {
            // The postmaster first: new connections are then accepted by the kernel and never answered.
            Signals.send("STOP", db.postmasterPid());
            st.execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'stall-test'");
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try (var rs = st.executeQuery("select count(*) from pg_stat_activity where application_name = 'stall-test'")) {
                    rs.next();
                    return rs.getInt(1) == 0;
                }
            });
            pids = Signals.stopTree(db.postmasterPid());
        }
        long stoppedAt = System.nanoTime();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> warden.health().monitor().stall().since() != null);
            // Longer than the acquire timeout plus a login timeout: a retry has seen a login fail.
            await().atMost(Duration.ofSeconds(15)).until(() -> System.nanoTime() - stoppedAt >= TimeUnit.SECONDS.toNanos(5));
        } finally {
            Signals.continueAll(pids);
        }
        long committed = warden.health().transactions().committed();
        await().atMost(Duration.ofSeconds(30)).until(() -> warden.health().transactions().committed() > committed + 20);
        running.set(false);
        for (Thread t : writers) {
            t.join(30_000);
        }
        assertThat(warden.lifecycle().history()).as("never DEGRADED").noneMatch(t -> t.to() == State.DEGRADED);
        assertThat(failures).as("work failed while the server was silent").isEmpty();
    }

    @Test
    void newWorkWaitsOutARestartWithinTheRideThroughAndThenRuns() throws Exception {
        start(WardenConfig.builder().poolMaxSize(4).rideThrough(Duration.ofSeconds(30)));
        db.stop();
        await().atMost(Duration.ofSeconds(15)).until(() -> warden.state() == State.DEGRADED);
        CompletableFuture<Throwable> work = CompletableFuture.supplyAsync(() -> {
            try {
                write();
                return null;
            } catch (Throwable t) {
                return t;
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
        await().atMost(Duration.ofSeconds(10)).until(() -> warden.health().refused().rideThrough().waiting() == 1);
        assertThat(work).as("refused instead of held").isNotDone();
        db.restart();
        assertThat(work.get(30, TimeUnit.SECONDS)).as("the held work's failure").isNull();
        assertThat(warden.health().refused().rideThrough().rodeThrough()).isPositive();
    }

    @Test
    void pastTheRideThroughWorkFailsFastAndWaitersAreBoundedAndLeaveAtShutdown() throws Exception {
        start(WardenConfig.builder().poolMaxSize(1).rideThrough(Duration.ofMinutes(5)));
        db.stop();
        await().atMost(Duration.ofSeconds(15)).until(() -> warden.state() == State.DEGRADED);
        int threads = 70; // the waiting room holds max(64, 10 x pool size) = 64
        List<CompletableFuture<Throwable>> work = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            work.add(CompletableFuture.supplyAsync(() -> {
                try {
                    write();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }, r -> Thread.ofPlatform().daemon().start(r)));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> warden.health().refused().rideThrough().waiting() == 64);
        await().atMost(Duration.ofSeconds(20)).until(() -> warden.health().refused().rideThrough().overflowed() == 6);
        // Shutdown releases every waiter at once, not after the 5 min bound.
        long t0 = System.nanoTime();
        warden.close();
        CompletableFuture.allOf(work.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(30);
        assertThat(work).allSatisfy(f -> assertThat(f.join()).isInstanceOf(WardenException.class));
        warden = null;
        db.restart();
        // A short bound: held, then refused fast once it is over.
        start(WardenConfig.builder().poolMaxSize(2).rideThrough(Duration.ofSeconds(1)));
        db.stop();
        await().atMost(Duration.ofSeconds(15)).until(() -> warden.state() == State.DEGRADED);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            long s = System.nanoTime();
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(this::write);
            assertThat(t).isInstanceOf(DatabaseUnavailableException.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s)).as("past the bound: fast").isLessThan(500);
        });
    }
}
