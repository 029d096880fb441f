package dev.warden.drill.overload;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.warden.PoolTimeoutException;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.ThrowawayDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The overload drill's phase (a): saturation through Warden and plain HikariCP side by side, then a
 * busy pool of one (acquire timeouts against HikariCP's meter, and the order waiters are served in).
 */
final class OverloadSaturation {

    private final OverloadDrill d;

    OverloadSaturation(OverloadDrill d) {
        this.d = d;
    }

    // ---- (a) saturation -------------------------------------------------------------------------

    OverloadFigures.Saturation saturation(ThrowawayDatabase db, Warden warden) throws Exception {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(db.jdbcUrl());
        hc.setUsername("postgres");
        hc.setMaximumPoolSize(d.pool);
        hc.setPoolName("plain-hikari");
        long wardenCommits = 0;
        long hikariCommits = 0;
        double seconds = 0;
        try (HikariDataSource plain = new HikariDataSource(hc); OverloadDrill.ProbeRate rate = d.new ProbeRate(warden)) {
            for (int r = 0; r < d.rounds; r++) {
                LongAdder w = new LongAdder();
                LongAdder h = new LongAdder();
                AtomicBoolean running = new AtomicBoolean(true);
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < 4 * d.pool; i++) {
                    threads.add(Thread.ofPlatform().name("sat-warden-" + i).start(() -> {
                        while (running.get()) {
                            try {
                                warden.useTransaction(tx -> holdingWrite(tx.connection()));
                                w.increment();
                            } catch (RuntimeException e) {
                                OverloadDrill.pause(5);
                            }
                        }
                    }));
                    threads.add(Thread.ofPlatform().name("sat-hikari-" + i).start(() -> {
                        while (running.get()) {
                            try (Connection c = plain.getConnection()) {
                                c.setAutoCommit(false);
                                holdingWrite(c);
                                c.commit();
                                h.increment();
                            } catch (SQLException e) {
                                OverloadDrill.pause(5);
                            }
                        }
                    }));
                }
                long t0 = System.nanoTime();
                Thread.sleep(d.roundSeconds * 1000L);
                running.set(false);
                seconds += (System.nanoTime() - t0) / 1e9;
                for (Thread t : threads) {
                    t.join(30_000);
                }
                wardenCommits += w.sum();
                hikariCommits += h.sum();
            }
        }
        return new OverloadFigures.Saturation(4 * d.pool, Math.round(wardenCommits / seconds),
                Math.round(hikariCommits / seconds),
                hikariCommits == 0 ? 0.0 : Math.round(1000.0 * wardenCommits / hikariCommits) / 1000.0);
    }

    private static void holdingWrite(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("insert into overload_writes(v) values (1)");
            st.execute("select pg_sleep(0.02)");
        }
    }

    /** A pool of one: waiters that time out (their true count against HikariCP's meter), then waiters in a known order. */
    OverloadFigures.BusyPool busyPool(ThrowawayDatabase db) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).applicationName("ovl-busy")
                .poolMaxSize(1).poolAcquireTimeout(Duration.ofSeconds(1)).build();
        int trueTimeouts;
        long reportedTimeouts;
        try (Warden w = d.client(db.jdbcUrl(), "ovl-busy", cfg, registry, true); OverloadDrill.ProbeRate rate = d.new ProbeRate(w)) {
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = holdOne(w, release);
            List<Thread> waiters = new ArrayList<>();
            AtomicInteger timedOut = new AtomicInteger();
            for (int i = 0; i < 4; i++) {
                waiters.add(Thread.ofPlatform().start(() -> {
                    long t0 = System.nanoTime();
                    try {
                        w.inTransaction(tx -> 1);
                    } catch (RuntimeException e) {
                        if (OverloadDrill.causedBy(e, PoolTimeoutException.class) && System.nanoTime() - t0 >= 900_000_000L) {
                            timedOut.incrementAndGet();
                        }
                    }
                }));
            }
            Thread.sleep(2_000);
            release.countDown();
            holder.join(30_000);
            for (Thread t : waiters) {
                t.join(30_000);
            }
            trueTimeouts = timedOut.get();
            reportedTimeouts = Math.round(registry.get("hikaricp.connections.timeout").counter().count());
        }
        WardenConfig roomy = WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).applicationName("ovl-fifo")
                .poolMaxSize(1).poolAcquireTimeout(Duration.ofSeconds(30)).build();
        try (Warden w = d.client(db.jdbcUrl(), "ovl-fifo", roomy, null, true); OverloadDrill.ProbeRate rate = d.new ProbeRate(w)) {
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = holdOne(w, release);
            List<Integer> order = new CopyOnWriteArrayList<>();
            List<Thread> waiters = new ArrayList<>();
            int n = 6;
            for (int i = 0; i < n; i++) {
                int id = i;
                int before = w.health().pool().waiting();
                waiters.add(Thread.ofPlatform().start(() -> w.inTransaction(tx -> {
                    order.add(id);
                    Thread.sleep(20);
                    return null;
                })));
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (w.health().pool().waiting() <= before && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
            }
            Thread.sleep(300); // the waiters sit in the queue across several of the old 50 ms slices
            release.countDown();
            holder.join(30_000);
            for (Thread t : waiters) {
                t.join(30_000);
            }
            int inversions = 0;
            for (int i = 0; i < order.size(); i++) {
                for (int j = i + 1; j < order.size(); j++) {
                    if (order.get(i) > order.get(j)) {
                        inversions++;
                    }
                }
            }
            return new OverloadFigures.BusyPool(trueTimeouts, reportedTimeouts, Math.abs(reportedTimeouts - trueTimeouts),
                    List.copyOf(order), inversions + (n - order.size()));
        }
    }

    private static Thread holdOne(Warden w, CountDownLatch release) throws InterruptedException {
        CountDownLatch holding = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().start(() -> w.inTransaction(tx -> {
            holding.countDown();
            return release.await(30, TimeUnit.SECONDS);
        }));
        if (!holding.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the holder did not get the connection");
        }
        return t;
    }
}
