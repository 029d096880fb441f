package dev.warden.drill.patroni;

import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.drill.ClientPair;
import dev.warden.drill.JsonOutput;
import dev.warden.drill.WriterThreads;
import dev.warden.drill.SeedRace;
import dev.warden.drill.StateTimeline;
import dev.warden.drill.WriteClient;
import dev.warden.testing.PatroniCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
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

    private static final String EPOCH = "patroni-drill-1";
    private static final int INIT_WORKERS = 3;

    @Mixin
    WriterThreads writerThreads = new WriterThreads();

    @Option(names = "--fast", description = "Short Patroni timings (ttl 10 s, loop_wait 2 s) instead of Patroni's defaults (ttl 30 s, loop_wait 10 s).")
    boolean fast;

    @Option(names = "--async", description = "Asynchronous replication (Patroni's default) instead of synchronous mode.")
    boolean async;

    @Mixin
    JsonOutput output = new JsonOutput();

    @Override
    public Integer call() throws Exception {
        int threads = writerThreads.count();
        if (threads < 1 || threads > 32) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--threads must be 1 to 32");
        }
        return output.print(execute());
    }

    /** Runs the drill and returns its figures. */
    PatroniFigures execute() throws Exception {
        int threads = writerThreads.count();
        PatroniCluster.Timings timings = fast ? PatroniCluster.Timings.FAST : PatroniCluster.Timings.PATRONI_DEFAULTS;
        PatroniFigures.Cluster settings = new PatroniFigures.Cluster(3, timings.ttl(), timings.loopWait(),
                timings.retryTimeout(), !async);
        List<String> failed = new ArrayList<>();
        long t0 = System.nanoTime();
        PatroniFigures.Init init;
        Load load;
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
            init = initDuringSwitchover(cluster, cfg);
            if (init.initialisationsCommitted() != 1 || init.workersReady() != INIT_WORKERS) {
                failed.add("init: exactly one initialisation committed and every worker READY");
            }
            load = load(cluster, cfg);
        }
        failed.addAll(PatroniFigures.failedTargets(load.warden(), load.phases()));
        return new PatroniFigures(settings, init, load.warden(), load.plain(), load.phases(),
                (System.nanoTime() - t0) / 1_000_000_000, failed, failed.isEmpty());
    }

    /** Init workers start together; a switchover runs while the one that initialises seeds. */
    private PatroniFigures.Init initDuringSwitchover(PatroniCluster cluster, WardenConfig cfg) throws Exception {
        try (SeedRace race = SeedRace.start(cfg, INIT_WORKERS, Duration.ofSeconds(3))) { // long enough for the switchover to hit it
            race.awaitSeeding(Duration.ofSeconds(60));
            progress("init: seeder running; switchover");
            cluster.switchover();
            SeedRace.Result result = race.await();
            cluster.awaitReplicas(Duration.ofMinutes(3));
            long committed = count(cluster, "select count(*) from drill_seed");
            progress("init: %d of %d workers READY, seeder ran %d time(s), %d committed", result.ready(), INIT_WORKERS,
                    race.seederRuns(), committed);
            return new PatroniFigures.Init(INIT_WORKERS, result.ready(), race.seederRuns(), committed, result.errors());
        }
    }

    /** What the load did: each client's totals, one row per fault. */
    private record Load(PatroniFigures.Client warden, PatroniFigures.Client plain, List<PatroniFigures.Phase> phases) {
    }

    /** Warden and plain HikariCP side by side through a switchover and a crash failover. */
    private Load load(PatroniCluster cluster, WardenConfig cfg) throws Exception {
        int threads = writerThreads.count();
        AtomicLong ids = new AtomicLong();
        List<PatroniFigures.Phase> phases = new ArrayList<>();
        long resolved;
        WriteClient.Pair clients;
        try (ClientPair pair = ClientPair.open(cfg, ClientPair.plainConfig(cluster.jdbcUrl(), cluster.user(), threads + 1))) {
            Warden warden = pair.warden().start();
            StateTimeline timeline = new StateTimeline(warden);
            clients = WriteClient.pair(pair, ids, threads);
            try (clients) {
                clients.steady();
                long start = System.nanoTime();
                progress("load: switchover");
                cluster.switchover();
                long promoted = System.nanoTime();
                clients.steady();
                phases.add(phase("switchover", start, promoted, timeline, clients.warden()));
                cluster.awaitReplicas(Duration.ofMinutes(3));
                clients.steady();
                start = System.nanoTime();
                progress("load: crash of the leader's whole member");
                cluster.crashLeader();
                cluster.awaitLeader(Duration.ofMinutes(3));
                promoted = System.nanoTime();
                clients.steady();
                phases.add(phase("crash_failover", start, promoted, timeline, clients.warden()));
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
        WriteClient w = clients.warden();
        WriteClient p = clients.plain();
        return new Load(new PatroniFigures.Client(w.figures(), w.lost(stored), resolved),
                new PatroniFigures.Client(p.figures(), p.lost(stored), null), phases);
    }

    /**
     * The figures of one fault, once the load is steady again: its DEGRADED counts whenever it came
     * after the fault's start (a member may be seen down only after the new leader was).
     */
    private static PatroniFigures.Phase phase(String name, long start, long promoted, StateTimeline timeline,
                                              WriteClient warden) {
        PatroniFigures.Phase p = PatroniFigures.Phase.of(name, (promoted - start) / 1_000_000,
                timeline.phase(start, System.nanoTime(), warden));
        progress("%s: %s", name, JsonOutput.toJson(p));
        return p;
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
