package dev.warden.drill.patroni;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.drill.JsonOutput;
import dev.warden.drill.WriteClient;
import dev.warden.testing.PatroniCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code warden drill patroni}: a real Patroni cluster (etcd and three members, Patroni's default
 * timings unless {@code --fast}, synchronous mode unless {@code --async}) behind a multi-host URL
 * with {@code targetServerType=primary}. Init workers start during a planned switchover (exactly one
 * initialisation must commit); then a write load runs through Warden ({@code WARDEN_TX_VERIFY_COMMIT})
 * and through a plain HikariCP pool side by side, through a planned switchover and a crash of the
 * leader's whole member (Patroni and PostgreSQL killed). Afterwards every acknowledged write is
 * looked up on the new leader.
 */
@Command(name = "patroni", mixinStandardHelpOptions = true,
        description = "Switchover and crash failover of a real Patroni cluster under load, Warden and plain HikariCP side by side.")
public final class PatroniDrill implements Callable<Integer> {

    static final long FIRST_COMMIT_AFTER_READY_MAX_MS = 100;
    private static final String EPOCH = "patroni-drill-1";
    private static final int INIT_WORKERS = 3;

    @Option(names = "--threads", defaultValue = "4", description = "Writer threads per client (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--fast", description = "Short Patroni timings (ttl 10 s, loop_wait 2 s) instead of Patroni's defaults (ttl 30 s, loop_wait 10 s).")
    boolean fast;

    @Option(names = "--async", description = "Asynchronous replication (Patroni's default) instead of synchronous mode.")
    boolean async;

    @Mixin
    JsonOutput output = new JsonOutput();

    @Override
    public Integer call() throws Exception {
        if (threads < 1 || threads > 32) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--threads must be 1 to 32");
        }
        Map<String, Object> f = execute();
        return output.print(f, Boolean.TRUE.equals(f.get("pass")), () -> JsonOutput.toPrettyJson(f) + "\n"
                + (Boolean.TRUE.equals(f.get("pass")) ? "PASS: every target holds" : "FAIL: " + f.get("failed_targets")));
    }

    /** Runs the drill and returns its figures. */
    public Map<String, Object> execute() throws Exception {
        PatroniCluster.Timings timings = fast ? PatroniCluster.Timings.FAST : PatroniCluster.Timings.PATRONI_DEFAULTS;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("patroni", Map.of("members", 3, "ttl_s", timings.ttl(), "loop_wait_s", timings.loopWait(),
                "retry_timeout_s", timings.retryTimeout(), "synchronous_mode", !async));
        List<String> failed = new ArrayList<>();
        long t0 = System.nanoTime();
        try (PatroniCluster cluster = PatroniCluster.start(3, timings, !async)) {
            progress("cluster up in %d s: %s", (System.nanoTime() - t0) / 1_000_000_000, cluster.jdbcUrl());
            try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), cluster.user(), "");
                 Statement st = c.createStatement()) {
                st.execute("create table drill_write (id bigint primary key, client text not null)");
                st.execute("create table drill_seed (worker int not null, at timestamptz not null default now())");
            }
            WardenConfig cfg = WardenConfig.builder().environment(Map.of())
                    .dbUrl(cluster.jdbcUrl()).dbUser(cluster.user())
                    .initEpoch(EPOCH)
                    .poolMaxSize(threads + 1)
                    .startupTimeout(Duration.ofMinutes(5))
                    .txVerifyCommit(true)
                    .applicationName("patroni-drill")
                    .build();
            f.put("init", initDuringSwitchover(cluster, cfg, failed));
            f.putAll(load(cluster, cfg, failed));
        }
        f.put("run_s", (System.nanoTime() - t0) / 1_000_000_000);
        f.put("failed_targets", failed);
        f.put("pass", failed.isEmpty());
        return f;
    }

    /** Init workers start together; a switchover runs while the one that initialises seeds. */
    private Map<String, Object> initDuringSwitchover(PatroniCluster cluster, WardenConfig cfg, List<String> failed)
            throws Exception {
        AtomicInteger seederRuns = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(INIT_WORKERS);
        List<Future<Warden>> workers = new ArrayList<>();
        try {
            for (int w = 0; w < INIT_WORKERS; w++) {
                int worker = w;
                workers.add(pool.submit(() -> Warden.builder().config(cfg).seeder("drill-seed-1", ctx -> {
                    seederRuns.incrementAndGet();
                    try (PreparedStatement ps = ctx.connection().prepareStatement("insert into drill_seed (worker) values (?)")) {
                        ps.setInt(1, worker);
                        ps.executeUpdate();
                    }
                    Thread.sleep(3000); // long enough for the switchover to hit it
                }).build().start()));
            }
            long end = System.nanoTime() + 60_000_000_000L;
            while (seederRuns.get() == 0 && System.nanoTime() - end < 0) {
                Thread.sleep(10);
            }
            progress("init: seeder running; switchover");
            cluster.switchover();
            int ready = 0;
            List<String> errors = new ArrayList<>();
            for (Future<Warden> w : workers) {
                try (Warden warden = w.get()) {
                    if (warden.state() == State.READY) {
                        ready++;
                    }
                } catch (Exception e) {
                    errors.add(String.valueOf(e.getCause() == null ? e : e.getCause()));
                }
            }
            cluster.awaitReplicas(Duration.ofMinutes(3));
            long committed = count(cluster, "select count(*) from drill_seed");
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("workers", INIT_WORKERS);
            f.put("workers_ready", ready);
            f.put("seeder_runs", seederRuns.get());
            f.put("initialisations_committed", committed);
            f.put("errors", errors);
            progress("init: %d of %d workers READY, seeder ran %d time(s), %d committed", ready, INIT_WORKERS,
                    seederRuns.get(), committed);
            if (committed != 1 || ready != INIT_WORKERS) {
                failed.add("init: exactly one initialisation committed and every worker READY");
            }
            return f;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Warden and plain HikariCP side by side through a switchover and a crash failover. */
    private Map<String, Object> load(PatroniCluster cluster, WardenConfig cfg, List<String> failed) throws Exception {
        Map<String, Object> f = new LinkedHashMap<>();
        Queue<long[]> transitions = new ConcurrentLinkedQueue<>(); // {state ordinal, nanoTime}
        AtomicLong ids = new AtomicLong();
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(cluster.jdbcUrl());
        hc.setUsername(cluster.user());
        hc.setMaximumPoolSize(threads + 1);
        hc.setPoolName("plain-hikari");
        List<Map<String, Object>> phases = new ArrayList<>();
        long resolved;
        WriteClient wardenClient;
        WriteClient plainClient;
        try (Warden warden = Warden.create(cfg).start(); HikariDataSource plain = new HikariDataSource(hc)) {
            warden.lifecycle().addListener(t -> transitions.add(new long[] {t.to().ordinal(), System.nanoTime()}));
            wardenClient = new WriteClient("warden", id -> warden.useTransaction(tx -> {
                try (PreparedStatement ps = tx.connection().prepareStatement("insert into drill_write values (?, 'warden')")) {
                    ps.setLong(1, id);
                    ps.executeUpdate();
                }
            }), ids, threads);
            plainClient = new WriteClient("plain", id -> {
                try (Connection c = plain.getConnection();
                     PreparedStatement ps = c.prepareStatement("insert into drill_write values (?, 'plain')")) {
                    ps.setLong(1, id);
                    ps.executeUpdate();
                }
            }, ids, threads);
            try (wardenClient; plainClient) {
                steady(wardenClient, plainClient);
                long start = System.nanoTime();
                progress("load: switchover");
                cluster.switchover();
                long promoted = System.nanoTime();
                steady(wardenClient, plainClient);
                phases.add(phase("switchover", start, promoted, transitions, wardenClient));
                cluster.awaitReplicas(Duration.ofMinutes(3));
                steady(wardenClient, plainClient);
                start = System.nanoTime();
                progress("load: crash of the leader's whole member");
                cluster.crashLeader();
                cluster.awaitLeader(Duration.ofMinutes(3));
                promoted = System.nanoTime();
                steady(wardenClient, plainClient);
                phases.add(phase("crash_failover", start, promoted, transitions, wardenClient));
            }
            resolved = warden.txStats().commitResolved();
        }
        Set<Long> stored = new HashSet<>();
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), cluster.user(), "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select id from drill_write")) {
            while (rs.next()) {
                stored.add(rs.getLong(1));
            }
        }
        for (WriteClient client : List.of(wardenClient, plainClient)) {
            Map<String, Object> cf = client.figures();
            cf.put("lost_writes", client.acknowledged().stream().filter(id -> !stored.contains(id)).count());
            f.put(client.name(), cf);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> wf = (Map<String, Object>) f.get("warden");
        wf.put("commit_outcomes_resolved", resolved);
        f.put("phases", phases);
        if (!Long.valueOf(0).equals(wf.get("lost_writes"))) {
            failed.add("warden lost_writes == 0");
        }
        if (!Long.valueOf(0).equals(wf.get("unknown_outcomes"))) {
            failed.add("warden unknown_outcomes == 0 (verifyCommit)");
        }
        for (Map<String, Object> p : phases) {
            Object fc = p.get("first_commit_after_ready_ms");
            if (p.get("ready_after_ms") != null && !(fc instanceof Long ms && ms <= FIRST_COMMIT_AFTER_READY_MAX_MS)) {
                failed.add(p.get("phase") + ": first_commit_after_ready_ms <= " + FIRST_COMMIT_AFTER_READY_MAX_MS);
            }
        }
        return f;
    }

    /** DEGRADED/READY times of one fault, from its start, and Warden's first commit after READY. */
    private static Map<String, Object> phase(String name, long start, long promoted, Queue<long[]> transitions,
                                             WriteClient warden) {
        long degraded = 0;
        long ready = 0;
        for (long[] t : transitions) {
            if (t[1] < start) {
                continue;
            }
            if (degraded == 0 && t[0] == State.DEGRADED.ordinal()) {
                degraded = t[1];
            } else if (degraded != 0 && ready == 0 && t[0] == State.READY.ordinal()) {
                ready = t[1];
            }
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("phase", name);
        p.put("new_leader_seen_after_ms", (promoted - start) / 1_000_000);
        p.put("degraded_after_ms", degraded == 0 ? null : (degraded - start) / 1_000_000);
        p.put("ready_after_ms", ready == 0 ? null : (ready - start) / 1_000_000);
        long first = ready == 0 ? 0 : warden.firstCommitAtOrAfter(ready);
        p.put("first_commit_after_ready_ms", first == 0 ? null : (first - ready) / 1_000_000);
        progress("%s: %s", name, p);
        return p;
    }

    /** Waits until both clients commit again (bounded), so that the next fault hits a running load. */
    private static void steady(WriteClient a, WriteClient b) throws InterruptedException {
        a.awaitMore(100, 180_000);
        b.awaitMore(100, 180_000);
    }

    private static long count(PatroniCluster cluster, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), cluster.user(), "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void progress(String format, Object... args) {
        System.err.printf("patroni drill: " + format + "%n", args);
    }
}
