package dev.warden.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.warden.Warden;
import dev.warden.config.WardenConfig;
import dev.warden.embedded.ThrowawayDatabase;
import dev.warden.fault.FaultProxy;
import dev.warden.health.HealthReport;
import dev.warden.health.PoolTimeoutException;
import dev.warden.lifecycle.State;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code warden drill overload}: a database that is busy, slow or out of connections, but up, must
 * not become an outage, and a fleet recovering from a real outage must not reconnect all at once.
 * Four phases on one embedded PostgreSQL (started with a low {@code max_connections}):
 * <ol>
 * <li>saturation: 4 × pool size threads, each transaction holding its connection 20 ms, through
 *     Warden and through plain HikariCP (defaults, same pool size) at the same time; then a pool of
 *     one with waiters that time out, and waiters queued in a known order;</li>
 * <li>slow database: a share of the statements sleep, and the monitor's own backend is stalled
 *     (SIGSTOP) so that probes exceed their timeout;</li>
 * <li>connection exhaustion: every free slot is taken, so that new connections get 53300, and the
 *     monitor's and one pooled connection are terminated, while the pooled ones keep working;</li>
 * <li>fleet recovery: 3 Wardens behind a {@link FaultProxy} that counts connection attempts; the
 *     database is stopped and started again.</li>
 * </ol>
 */
@Command(name = "overload", mixinStandardHelpOptions = true,
        description = "Saturate, slow down and exhaust a database that stays up; recover a fleet; check that none of it is an outage.")
final class OverloadDrill implements Callable<Integer> {

    static final int MAX_CONNECTIONS = 60;

    @Option(names = "--pool", defaultValue = "8", description = "Pool size of every client (default ${DEFAULT-VALUE}).")
    int pool;

    @Option(names = "--rounds", defaultValue = "3", description = "Saturation rounds, Warden and HikariCP side by side (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--round-seconds", defaultValue = "4", description = "Length of one saturation round (default ${DEFAULT-VALUE}).")
    int roundSeconds;

    @Option(names = "--phase-seconds", defaultValue = "8", description = "Length of the slow and the exhaustion phases (default ${DEFAULT-VALUE}).")
    int phaseSeconds;

    @Option(names = "--json", description = "Print one JSON object instead of a summary.")
    boolean json;

    private final AtomicInteger falseDegraded = new AtomicInteger();
    private final AtomicLong probesPerSecondMax = new AtomicLong();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> f = execute();
        boolean ok = (boolean) f.get("ok");
        if (json) {
            System.out.println(new ObjectMapper().writeValueAsString(f));
        } else {
            System.out.println("Overload drill (targets: false_degraded 0, throughput_ratio >= 0.98,"
                    + " pool_timeout_metric_error 0, probes_per_s_max <= 2, reconnect_burst_max <= 0.5,"
                    + " acquire_fifo_violations 0)");
            f.forEach((k, v) -> System.out.printf("  %-32s %s%n", k, v));
            System.out.println(ok ? "  OK: every target holds." : "  FAILED: see the figures above.");
        }
        return ok ? 0 : 1;
    }

    /** Runs the four phases and returns the figures ({@code ok} says whether every target holds). */
    Map<String, Object> execute() throws Exception {
        if (pool < 2 || pool > 12 || rounds < 1 || roundSeconds < 1 || phaseSeconds < 2) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--pool must be 2 to 12, --rounds >= 1, --round-seconds >= 1, --phase-seconds >= 2");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-overload-drill",
                Map.of("max_connections", String.valueOf(MAX_CONNECTIONS), "fsync", "off"))) {
            try (Connection c = direct(db); Statement st = c.createStatement()) {
                st.execute("create table overload_writes (id bigserial primary key, v int not null)");
            }
            try (Warden warden = client(db.jdbcUrl(), "ovl-main", pool, null)) {
                saturation(db, warden, out);
                busyPool(db, out);
                slowDatabase(db, warden, out);
                exhaustion(db, warden, out);
                out.put("main_outages", warden.health().monitor().outages());
            }
            fleetRecovery(db, out);
        }
        out.put("false_degraded", falseDegraded.get());
        out.put("probes_per_s_max", probesPerSecondMax.get());
        boolean ok = falseDegraded.get() == 0
                && (double) out.get("throughput_ratio") >= 0.98
                && (long) out.get("pool_timeout_metric_error") == 0
                && probesPerSecondMax.get() <= 2
                && (double) out.get("reconnect_burst_max") <= 0.5
                && (int) out.get("acquire_fifo_violations") == 0;
        out.put("ok", ok);
        return out;
    }

    private Warden client(String url, String app, int size, SimpleMeterRegistry registry) {
        return client(url, app, WardenConfig.builder().environment(Map.of()).dbUrl(url).applicationName(app)
                .poolMaxSize(size).build(), registry, true);
    }

    /** A started Warden; while {@code judged}, every READY → DEGRADED counts as a false outage. */
    private Warden client(String url, String app, WardenConfig cfg, SimpleMeterRegistry registry, boolean judged) {
        Warden.Builder b = Warden.builder().config(cfg);
        if (registry != null) {
            b.meterRegistry(registry);
        }
        Warden w = b.build();
        if (judged) {
            w.lifecycle().addListener(t -> {
                if (t.to() == State.DEGRADED) {
                    falseDegraded.incrementAndGet();
                }
            });
        }
        return w.start();
    }

    // ---- (a) saturation -------------------------------------------------------------------------

    private void saturation(ThrowawayDatabase db, Warden warden, Map<String, Object> out) throws Exception {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(db.jdbcUrl());
        hc.setUsername("postgres");
        hc.setMaximumPoolSize(pool);
        hc.setPoolName("plain-hikari");
        long wardenCommits = 0;
        long hikariCommits = 0;
        double seconds = 0;
        try (HikariDataSource plain = new HikariDataSource(hc); ProbeRate rate = new ProbeRate(warden)) {
            for (int r = 0; r < rounds; r++) {
                LongAdder w = new LongAdder();
                LongAdder h = new LongAdder();
                AtomicBoolean running = new AtomicBoolean(true);
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < 4 * pool; i++) {
                    threads.add(Thread.ofPlatform().name("sat-warden-" + i).start(() -> {
                        while (running.get()) {
                            try {
                                warden.useTransaction(tx -> holdingWrite(tx.connection()));
                                w.increment();
                            } catch (RuntimeException e) {
                                pause(5);
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
                                pause(5);
                            }
                        }
                    }));
                }
                long t0 = System.nanoTime();
                Thread.sleep(roundSeconds * 1000L);
                running.set(false);
                seconds += (System.nanoTime() - t0) / 1e9;
                for (Thread t : threads) {
                    t.join(30_000);
                }
                wardenCommits += w.sum();
                hikariCommits += h.sum();
            }
        }
        out.put("saturation_threads", 4 * pool);
        out.put("warden_commits_per_s", Math.round(wardenCommits / seconds));
        out.put("hikari_commits_per_s", Math.round(hikariCommits / seconds));
        out.put("throughput_ratio", hikariCommits == 0 ? 0.0 : Math.round(1000.0 * wardenCommits / hikariCommits) / 1000.0);
    }

    private static void holdingWrite(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("insert into overload_writes(v) values (1)");
            st.execute("select pg_sleep(0.02)");
        }
    }

    /** A pool of one: waiters that time out (their true count against HikariCP's meter), then waiters in a known order. */
    private void busyPool(ThrowawayDatabase db, Map<String, Object> out) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).applicationName("ovl-busy")
                .poolMaxSize(1).poolAcquireTimeout(Duration.ofSeconds(1)).build();
        int trueTimeouts = 0;
        try (Warden w = client(db.jdbcUrl(), "ovl-busy", cfg, registry, true); ProbeRate rate = new ProbeRate(w)) {
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
                        if (causedBy(e, PoolTimeoutException.class) && System.nanoTime() - t0 >= 900_000_000L) {
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
            double reported = registry.get("hikaricp.connections.timeout").counter().count();
            out.put("pool_timeouts_true", trueTimeouts);
            out.put("pool_timeouts_reported", Math.round(reported));
            out.put("pool_timeout_metric_error", Math.abs(Math.round(reported) - trueTimeouts));
        }
        WardenConfig roomy = WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).applicationName("ovl-fifo")
                .poolMaxSize(1).poolAcquireTimeout(Duration.ofSeconds(30)).build();
        try (Warden w = client(db.jdbcUrl(), "ovl-fifo", roomy, null, true); ProbeRate rate = new ProbeRate(w)) {
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
            out.put("acquire_order", List.copyOf(order));
            out.put("acquire_fifo_violations", inversions + (n - order.size()));
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

    // ---- (b) slow database ------------------------------------------------------------------------

    private void slowDatabase(ThrowawayDatabase db, Warden warden, Map<String, Object> out) throws Exception {
        Set<Long> poolBefore = new HashSet<>(Backends.of(db, "ovl-main"));
        long slowBefore = warden.health().monitor().slowProbes();
        LongAdder commits = new LongAdder();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        {
            for (int i = 0; i < 2 * pool; i++) {
                int id = i;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int n = 0; running.get(); n++) {
                        boolean slow = (n + id) % 3 == 0; // a third of the statements take 300 ms
                        try {
                            warden.useTransaction(tx -> {
                                try (Statement st = tx.connection().createStatement()) {
                                    st.execute(slow ? "select pg_sleep(0.3)" : "insert into overload_writes(v) values (2)");
                                }
                            });
                            commits.increment();
                        } catch (RuntimeException e) {
                            pause(20);
                        }
                    }
                }));
            }
            long end = System.nanoTime() + phaseSeconds * 1_000_000_000L;
            int stalls = 0;
            while (System.nanoTime() < end) {
                // Stall the monitor's backend longer than the probe timeout: its probe answers late.
                for (long pid : Backends.of(db, "ovl-main-monitor")) {
                    Backends.signal("STOP", pid);
                    try {
                        Thread.sleep(1_500);
                    } finally {
                        Backends.signal("CONT", pid);
                    }
                    stalls++;
                }
                Thread.sleep(1_500);
            }
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
            out.put("slow_stalls", stalls);
        }
        Set<Long> poolAfter = new HashSet<>(Backends.of(db, "ovl-main"));
        poolBefore.removeAll(poolAfter);
        out.put("slow_probes", warden.health().monitor().slowProbes() - slowBefore);
        out.put("slow_commits", commits.sum());
        out.put("slow_connections_dropped", poolBefore.size());
    }

    // ---- (c) connection exhaustion ----------------------------------------------------------------

    private void exhaustion(ThrowawayDatabase db, Warden warden, Map<String, Object> out) throws Exception {
        long refusingBefore = warden.health().monitor().refusingProbes();
        LongAdder commits = new LongAdder();
        LongAdder failures = new LongAdder();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        List<Connection> hogs = new ArrayList<>();
        int refusedConnects = 0;
        try {
            for (int i = 0; i < pool; i++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    while (running.get()) {
                        try {
                            warden.useTransaction(tx -> {
                                try (Statement st = tx.connection().createStatement()) {
                                    st.execute("insert into overload_writes(v) values (3)");
                                }
                            });
                            commits.increment();
                            pause(5);
                        } catch (RuntimeException e) {
                            failures.increment();
                            pause(20);
                        }
                    }
                }));
            }
            refusedConnects += fill(db, hogs);
            long end = System.nanoTime() + phaseSeconds * 1_000_000_000L;
            for (int round = 0; System.nanoTime() < end; round++) {
                // The monitor's connection goes (and, once, one pooled connection): their replacements meet
                // a full server, while the other pooled connections keep working. Sent through a
                // connection already held: the server has no slot for a new one.
                try (Statement st = hogs.getFirst().createStatement()) {
                    st.execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'ovl-main-monitor'"
                            + (round > 0 ? "" : " or pid = (select min(pid) from pg_stat_activity where application_name = 'ovl-main')"));
                }
                refusedConnects += fill(db, hogs);
                Thread.sleep(1_000);
            }
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
        } finally {
            for (Connection c : hogs) {
                c.close();
            }
        }
        out.put("exhaustion_refused_connects", refusedConnects);
        out.put("exhaustion_refusing_probes", warden.health().monitor().refusingProbes() - refusingBefore);
        out.put("exhaustion_commits", commits.sum());
        out.put("exhaustion_failed", failures.sum());
    }

    /** Opens connections until the server refuses one with 53300; returns 1 for that refusal. */
    private static int fill(ThrowawayDatabase db, List<Connection> hogs) throws SQLException {
        for (int i = 0; i < MAX_CONNECTIONS + 5; i++) {
            try {
                hogs.add(direct(db));
            } catch (SQLException e) {
                if (!"53300".equals(e.getSQLState())) {
                    throw e;
                }
                return 1;
            }
        }
        throw new IllegalStateException("the server never refused a connection (max_connections " + MAX_CONNECTIONS + ")");
    }

    // ---- (d) fleet recovery -----------------------------------------------------------------------

    private void fleetRecovery(ThrowawayDatabase db, Map<String, Object> out) throws Exception {
        int clients = 3;
        try (FaultProxy proxy = FaultProxy.start(db.port())) {
            List<Warden> fleet = new ArrayList<>();
            AtomicBoolean running = new AtomicBoolean(true);
            List<Thread> writers = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(proxy.jdbcUrl("postgres"))
                            .applicationName("ovl-fleet-" + i).poolMaxSize(pool).build();
                    Warden w = client(proxy.jdbcUrl("postgres"), "ovl-fleet-" + i, cfg, null, false);
                    fleet.add(w);
                    writers.add(Thread.ofPlatform().start(() -> {
                        while (running.get()) {
                            try {
                                w.useTransaction(tx -> {
                                    try (Statement st = tx.connection().createStatement()) {
                                        st.execute("insert into overload_writes(v) values (4)");
                                    }
                                });
                                pause(20);
                            } catch (RuntimeException e) {
                                pause(20);
                            }
                        }
                    }));
                }
                awaitCondition(() -> fleet.stream().allMatch(w -> w.health().pool().total() == pool), 30_000,
                        "the fleet's pools to fill");
                db.stop();
                awaitCondition(() -> fleet.stream().allMatch(w -> w.state() == State.DEGRADED), 30_000,
                        "every client to be DEGRADED");
                Thread.sleep(1_000);
                List<long[]> samples = new CopyOnWriteArrayList<>(); // {nanoTime, accepted}
                AtomicBoolean sampling = new AtomicBoolean(true);
                Thread sampler = Thread.ofPlatform().start(() -> {
                    while (sampling.get()) {
                        samples.add(new long[] {System.nanoTime(), proxy.accepted()});
                        pause(2);
                    }
                });
                long restartAt = System.nanoTime();
                db.restart();
                awaitCondition(() -> fleet.stream().allMatch(w -> w.state() == State.READY), 30_000,
                        "every client to be READY");
                long readyMs = (System.nanoTime() - restartAt) / 1_000_000;
                awaitCondition(() -> fleet.stream().allMatch(w -> w.health().pool().total() == pool), 30_000,
                        "the fleet's pools to refill");
                long fullMs = (System.nanoTime() - restartAt) / 1_000_000;
                Thread.sleep(200);
                sampling.set(false);
                sampler.join(5_000);
                int burst = 0;
                for (int i = 0; i < samples.size(); i++) {
                    for (int j = i; j < samples.size() && samples.get(j)[0] - samples.get(i)[0] <= 100_000_000L; j++) {
                        burst = Math.max(burst, (int) (samples.get(j)[1] - samples.get(i)[1]));
                    }
                }
                int total = samples.isEmpty() ? 0 : (int) (samples.getLast()[1] - samples.getFirst()[1]);
                out.put("fleet_clients", clients);
                out.put("fleet_ready_ms", readyMs);
                out.put("fleet_refilled_ms", fullMs);
                out.put("fleet_connections_at_recovery", total);
                out.put("reconnect_burst_connections", burst);
                out.put("reconnect_burst_max", Math.round(1000.0 * burst / (clients * pool)) / 1000.0);
            } finally {
                running.set(false);
                for (Thread t : writers) {
                    t.join(30_000);
                }
                for (Warden w : fleet) {
                    w.close();
                }
            }
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------

    static Connection direct(ThrowawayDatabase db) throws SQLException {
        return DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition, long timeoutMs, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Timed out after " + timeoutMs + " ms waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Samples a Warden's probe count once a second while open; keeps the drill's highest rate. */
    private final class ProbeRate implements AutoCloseable {
        private final AtomicBoolean on = new AtomicBoolean(true);
        private final Thread thread;

        ProbeRate(Warden warden) {
            thread = Thread.ofPlatform().daemon().name("probe-rate").start(() -> {
                HealthReport.Monitor last = warden.health().monitor();
                while (on.get()) {
                    pause(1_000);
                    HealthReport.Monitor now = warden.health().monitor();
                    probesPerSecondMax.accumulateAndGet(now.probes() - last.probes(), Math::max);
                    last = now;
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            on.set(false);
            thread.join(5_000);
        }
    }
}
