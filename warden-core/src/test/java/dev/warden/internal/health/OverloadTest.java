package dev.warden.internal.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.DatabaseUnavailableException;
import dev.warden.HealthReport;
import dev.warden.PoolTimeoutException;
import dev.warden.ProbeOutcome;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.Signals;
import dev.warden.testing.ThrowawayDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A database that is slow or out of connections, and a pool that is merely busy, are not outages:
 * real embedded PostgreSQL, real stalls (SIGSTOP), a server really out of connection slots.
 */
class OverloadTest {

    private static final int MAX_CONNECTIONS = 20;
    /** One thread per task: the common pool may have a single thread on a small machine. */
    private static final java.util.concurrent.Executor THREADS = r -> Thread.ofPlatform().daemon().start(r);
    private static ThrowawayDatabase db;

    @BeforeAll
    static void startDatabase() {
        db = ThrowawayDatabase.start("warden-overload-pg", Map.of("fsync", "off",
                "max_connections", String.valueOf(MAX_CONNECTIONS)));
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    private static WardenConfig.Builder config(String app) {
        return WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).applicationName(app)
                .retryInitialBackoff(Duration.ofMillis(1)).retryMaxBackoff(Duration.ofMillis(20));
    }

    private static Connection direct() throws SQLException {
        return DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
    }

    private static List<Long> backends(String applicationName) throws SQLException {
        List<Long> pids = new ArrayList<>();
        try (Connection c = direct(); var ps = c.prepareStatement(
                "select pid from pg_stat_activity where application_name = ? order by pid")) {
            ps.setString(1, applicationName);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pids.add(rs.getLong(1));
                }
            }
        }
        return pids;
    }

    @Test
    void aSlowDatabaseIsReportedAndMeasuredButKeepsItsConnectionsAndStaysReady() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        WardenConfig cfg = config("ovl-slow").poolMaxSize(3).monitorInterval(Duration.ofMillis(200))
                .monitorTimeout(Duration.ofMillis(300)).build();
        List<State> entered = new CopyOnWriteArrayList<>();
        try (Warden warden = Warden.builder().config(cfg).meterRegistry(registry).build().start()) {
            warden.lifecycle().addListener(t -> entered.add(t.to()));
            await().atMost(Duration.ofSeconds(20)).until(() -> backends("ovl-slow").size() == 3
                    && backends("ovl-slow-monitor").size() == 1);
            Set<Long> poolBefore = new HashSet<>(backends("ovl-slow"));
            long monitorPid = backends("ovl-slow-monitor").getFirst();
            AtomicReference<HealthReport.Monitor> seenSlow = new AtomicReference<>();
            Signals.send("STOP", monitorPid);
            try {
                // The kept probe connection does not answer within the timeout; a fresh one does: SLOW.
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10)).until(() -> {
                    HealthReport.Monitor m = warden.health().monitor();
                    if (m.lastProbe().overloaded() && m.lastProbe().outcome() == ProbeOutcome.SLOW) {
                        seenSlow.set(m);
                    }
                    return seenSlow.get() != null;
                });
            } finally {
                Signals.send("CONT", monitorPid);
            }
            HealthReport.Monitor m = seenSlow.get();
            assertThat(m.lastProbe().ok()).isTrue();
            assertThat(m.probes().slow()).isPositive();
            assertThat(m.outages().count()).isZero();
            assertThat(entered).doesNotContain(State.DEGRADED);
            assertThat(warden.state()).isEqualTo(State.READY);
            assertThat(new HashSet<>(backends("ovl-slow"))).as("the pool's connections were kept").isEqualTo(poolBefore);
            assertThat(registry.get("warden.probe.latency").tag("outcome", "slow").timer().count()).isPositive();
            assertThat(registry.get("warden.probes.slow").functionCounter().count()).isPositive();
            assertThat((int) warden.inTransaction(tx -> 1)).isEqualTo(1);
        }
    }

    @Test
    void aProbeThatHearsNothingWhileWorkCommitsIsSlowNotSilent() throws Exception {
        try (dev.warden.testing.FaultProxy proxy = dev.warden.testing.FaultProxy.start(db.port())) {
            WardenConfig cfg = config("ovl-deaf").dbUrl(proxy.jdbcUrl("postgres")).poolMaxSize(2)
                    .monitorInterval(Duration.ofMillis(300)).build();
            List<State> entered = new CopyOnWriteArrayList<>();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicReference<Throwable> workFailure = new AtomicReference<>();
            try (Warden warden = Warden.create(cfg).start()) {
                warden.lifecycle().addListener(t -> entered.add(t.to()));
                await().atMost(Duration.ofSeconds(20)).until(() -> backends("ovl-deaf").size() == 2
                        && backends("ovl-deaf-monitor").size() == 1);
                Thread worker = Thread.ofPlatform().start(() -> {
                    while (running.get()) {
                        try {
                            warden.inTransaction(tx -> 1);
                            Thread.sleep(5);
                        } catch (InterruptedException e) {
                            return;
                        } catch (RuntimeException e) {
                            workFailure.compareAndSet(null, e);
                        }
                    }
                });
                try {
                    long slowBefore = warden.health().monitor().probes().slow();
                    // Only the probe goes deaf: its connection and every new one; the pool's pass.
                    int probePort;
                    try (Connection c = direct(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                            "select client_port from pg_stat_activity where application_name = 'ovl-deaf-monitor'")) {
                        assertThat(rs.next()).isTrue();
                        probePort = rs.getInt(1);
                    }
                    proxy.setForNew(dev.warden.testing.Fault.BLACKHOLE);
                    proxy.linkForServerPort(probePort).orElseThrow().set(dev.warden.testing.Fault.BLACKHOLE);
                    await().atMost(Duration.ofSeconds(20)).until(() -> warden.health().monitor().probes().slow() >= slowBefore + 2);
                    assertThat(entered).doesNotContain(State.DEGRADED);
                    assertThat(warden.health().monitor().outages().count()).isZero();
                    assertThat(workFailure.get()).isNull();
                } finally {
                    proxy.set(dev.warden.testing.Fault.PASS);
                    running.set(false);
                    worker.join(10_000);
                }
            }
        }
    }

    @Test
    void aServerRefusingNewConnectionsWhileTheOldOnesWorkIsOverloadNotAnOutage() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        WardenConfig cfg = config("ovl-full").poolMaxSize(2).monitorInterval(Duration.ofMillis(300))
                .monitorTimeout(Duration.ofMillis(500)).build();
        List<State> entered = new CopyOnWriteArrayList<>();
        List<Connection> hogs = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong committed = new AtomicLong();
        AtomicReference<Throwable> workFailure = new AtomicReference<>();
        try (Warden warden = Warden.builder().config(cfg).meterRegistry(registry).build().start()) {
            warden.lifecycle().addListener(t -> entered.add(t.to()));
            await().atMost(Duration.ofSeconds(20)).until(() -> backends("ovl-full").size() == 2
                    && backends("ovl-full-monitor").size() == 1);
            Thread worker = Thread.ofPlatform().start(() -> {
                while (running.get()) {
                    try {
                        warden.inTransaction(tx -> 1);
                        committed.incrementAndGet();
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        workFailure.compareAndSet(null, e);
                    }
                }
            });
            try {
                fill(hogs);
                long refusingBefore = warden.health().monitor().probes().refusing();
                for (int round = 0; round < 10 && warden.health().monitor().probes().refusing() == refusingBefore; round++) {
                    // Take the probe's connection away; its reconnect meets a full server (53300).
                    try (Statement st = hogs.getFirst().createStatement()) {
                        st.execute("select pg_terminate_backend(pid) from pg_stat_activity"
                                + " where application_name = 'ovl-full-monitor'");
                    }
                    fill(hogs);
                    long before = refusingBefore;
                    try {
                        await().atMost(Duration.ofSeconds(3)).until(() -> warden.health().monitor().probes().refusing() > before);
                    } catch (org.awaitility.core.ConditionTimeoutException probeWonTheSlot) {
                        // the probe reconnected before the slot was taken again: take it away once more
                    }
                }
                HealthReport.Monitor m = warden.health().monitor();
                assertThat(m.probes().refusing()).as("probes that met 53300 with working pooled connections").isPositive();
                long committedThen = committed.get();
                await().atMost(Duration.ofSeconds(10)).until(() -> committed.get() > committedThen + 5);
                assertThat(m.outages().count()).isZero();
                assertThat(entered).doesNotContain(State.DEGRADED);
                assertThat(warden.state()).isEqualTo(State.READY);
                assertThat(workFailure.get()).as("work on the existing connections").isNull();
                assertThat(registry.get("warden.probes.refusing").functionCounter().count()).isPositive();
            } finally {
                running.set(false);
                worker.join(10_000);
                for (Connection c : hogs) {
                    c.close();
                }
            }
        }
    }

    /** Opens connections until the server refuses with 53300 ("too many clients"). */
    private static void fill(List<Connection> hogs) throws SQLException {
        for (int i = 0; i < MAX_CONNECTIONS + 5; i++) {
            try {
                hogs.add(direct());
            } catch (SQLException e) {
                assertThat(e.getSQLState()).isEqualTo("53300");
                return;
            }
        }
        throw new AssertionError("the server never refused a connection");
    }

    @Test
    void aBusyPoolIsHikarisTimeoutCountedOnceWithoutProbesAndWaitersKeepTheirPlace() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        WardenConfig cfg = config("ovl-busy").poolMaxSize(1).poolAcquireTimeout(Duration.ofMillis(700))
                .monitorInterval(Duration.ofSeconds(1)).build();
        try (Warden warden = Warden.builder().config(cfg).meterRegistry(registry).build().start()) {
            // Part 1: 4 waiters for one connection held longer than the acquire timeout.
            long probesBefore = warden.health().monitor().probes().run();
            long t0 = System.nanoTime();
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Void> holder = hold(warden, release);
            List<CompletableFuture<Throwable>> waiters = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                waiters.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        warden.inTransaction(tx -> 1);
                        return null;
                    } catch (RuntimeException e) {
                        return e;
                    }
                }, THREADS));
            }
            for (CompletableFuture<Throwable> w : waiters) {
                Throwable e = w.get(30, TimeUnit.SECONDS);
                assertThat(e).as("a waiter that never got the connection").isNotNull();
                assertThat(hasCause(e, PoolTimeoutException.class)).as(String.valueOf(e)).isTrue();
            }
            release.countDown();
            holder.get(30, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long probes = warden.health().monitor().probes().run() - probesBefore;
            assertThat(registry.get("hikaricp.connections.timeout").counter().count())
                    .as("HikariCP's timeout counter").isEqualTo(4.0);
            // One probe per second at most from the interval; a probe per waiter slice would be dozens.
            assertThat(probes).as("probes in %.1f s", seconds).isLessThanOrEqualTo((long) Math.ceil(seconds) + 2);
            assertThat(warden.health().monitor().outages().count()).isZero();
            assertThat(warden.state()).isEqualTo(State.READY);

        }
        // Part 2: waiters queued in a known order get the connection in that order.
        WardenConfig roomy = config("ovl-fifo").poolMaxSize(1).poolAcquireTimeout(Duration.ofSeconds(20)).build();
        try (Warden warden = Warden.create(roomy).start()) {
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Void> holder = hold(warden, release);
            List<Integer> order = new CopyOnWriteArrayList<>();
            List<CompletableFuture<?>> queued = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int id = i;
                int waitingBefore = warden.health().pool().waiting();
                queued.add(CompletableFuture.runAsync(() -> warden.inTransaction(tx -> {
                    order.add(id);
                    Thread.sleep(20);
                    return null;
                }), THREADS));
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(2))
                        .until(() -> warden.health().pool().waiting() > waitingBefore);
            }
            release.countDown();
            holder.get(30, TimeUnit.SECONDS);
            for (CompletableFuture<?> q : queued) {
                q.get(30, TimeUnit.SECONDS);
            }
            assertThat(order).as("first come, first served").containsExactly(0, 1, 2, 3);
        }
    }

    private static CompletableFuture<Void> hold(Warden warden, CountDownLatch release) throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CompletableFuture<Void> f = CompletableFuture.runAsync(() -> warden.inTransaction(tx -> {
            holding.countDown();
            return release.await(30, TimeUnit.SECONDS);
        }), THREADS);
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        return f;
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aThreadWaitingForAConnectionLeavesAtOnceWhenTheDatabaseIsDeclaredUnreachable() throws Exception {
        // No ride-through: this is the release from HikariCP's queue; held work is StallAndRideThroughTest.
        WardenConfig cfg = config("ovl-leave").poolMaxSize(1).poolAcquireTimeout(Duration.ofSeconds(60))
                .rideThrough(Duration.ZERO).build();
        try (Warden warden = Warden.create(cfg).start()) {
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Void> holder = hold(warden, release);
            AtomicBoolean interruptedAfter = new AtomicBoolean();
            AtomicLong waitedMs = new AtomicLong();
            CompletableFuture<Throwable> waiter = CompletableFuture.supplyAsync(() -> {
                long t0 = System.nanoTime();
                try {
                    warden.inTransaction(tx -> 1);
                    return null;
                } catch (RuntimeException e) {
                    return e;
                } finally {
                    waitedMs.set((System.nanoTime() - t0) / 1_000_000);
                    interruptedAfter.set(Thread.currentThread().isInterrupted());
                }
            }, THREADS);
            await().atMost(Duration.ofSeconds(5)).until(() -> warden.health().pool().waiting() == 1);
            db.stop();
            try {
                Throwable e = waiter.get(30, TimeUnit.SECONDS);
                assertThat(e).isInstanceOf(DatabaseUnavailableException.class);
                assertThat(warden.state()).isEqualTo(State.DEGRADED);
                // Far below the 60 s acquire timeout: detection (about a second) plus the release.
                assertThat(waitedMs.get()).isLessThan(15_000);
                assertThat(interruptedAfter).as("the release's interrupt does not reach the caller").isFalse();
                release.countDown();
                try {
                    holder.get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException expected) {
                    // its transaction's connection died with the server
                }
            } finally {
                db.restart();
            }
            assertThat(warden.awaitReady(Duration.ofSeconds(30))).isTrue();
            assertThat((int) warden.inTransaction(tx -> 1)).isEqualTo(1);
        }
    }

    @Test
    void afterARecoveryThePoolRefillsStaggeredNotAllAtOnce() throws Exception {
        WardenConfig cfg = config("ovl-refill").poolMaxSize(6).poolRefillSpread(Duration.ofSeconds(4)).build();
        try (Warden warden = Warden.create(cfg).start()) {
            await().atMost(Duration.ofSeconds(20)).until(() -> warden.health().pool().total() == 6);
            db.stop();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> warden.state() == State.DEGRADED);
            } finally {
                db.restart();
            }
            assertThat(warden.awaitReady(Duration.ofSeconds(30))).isTrue();
            long readyAt = System.nanoTime();
            AtomicLong fullAfterMs = new AtomicLong(-1);
            // Full well before HikariCP's 30 s housekeeping would fill it: every step adds its connection.
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20)).until(() -> {
                if (warden.health().pool().total() == 6) {
                    fullAfterMs.set((System.nanoTime() - readyAt) / 1_000_000);
                    return true;
                }
                return false;
            });
            // 5 connections at random moments within 4 s: all within the first second has odds of 1 in 1024.
            assertThat(fullAfterMs.get()).as("ms from READY to a full pool").isGreaterThanOrEqualTo(1000);
        }
    }

    @Test
    void readinessGraceKeepsADegradedReplicaInTheServiceForABlipOnly() throws Exception {
        WardenConfig cfg = config("ovl-grace").poolMaxSize(1).readinessGrace(Duration.ofSeconds(2)).build();
        WardenConfig none = config("ovl-nograce").poolMaxSize(1).build();
        AtomicInteger readyWhileDegraded = new AtomicInteger();
        try (Warden warden = Warden.create(cfg).start(); Warden plain = Warden.create(none).start()) {
            warden.lifecycle().addListener(t -> {
                if (t.to() == State.DEGRADED && warden.readyForTraffic()) {
                    readyWhileDegraded.incrementAndGet();
                }
            });
            db.stop();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> warden.state() == State.DEGRADED
                        && plain.state() == State.DEGRADED);
                assertThat(readyWhileDegraded).as("ready at the moment DEGRADED began").hasValue(1);
                assertThat(plain.readyForTraffic()).as("without a grace").isFalse();
                await().atMost(Duration.ofSeconds(30)).until(() -> !warden.readyForTraffic());
                assertThat(warden.state()).isEqualTo(State.DEGRADED);
                assertThat(Duration.between(warden.lifecycle().since(), java.time.Instant.now()))
                        .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
            } finally {
                db.restart();
            }
            assertThat(warden.awaitReady(Duration.ofSeconds(30))).isTrue();
            assertThat(warden.readyForTraffic()).isTrue();
        }
    }
}
