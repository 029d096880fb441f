package dev.warden.drill.matrix;

import com.zaxxer.hikari.HikariConfig;
import dev.warden.Pooler;
import dev.warden.WardenConfig;
import dev.warden.drill.ClientPair;
import dev.warden.drill.JsonOutput;
import dev.warden.drill.NetworkNamespace;
import dev.warden.testing.PatroniCluster;
import dev.warden.testing.PgBouncer;
import dev.warden.testing.ThrowawayDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code warden drill matrix}: one write load through Warden and, side by side on the same server
 * and faults, through a plain HikariCP pool (same size, its defaults otherwise): a kernel blackhole,
 * server stalls of 0.5, 1, 2 and 5 s, CPU starvation idle and under load, a restart. Per fault and
 * client: failed requests by kind, unknown outcomes, lost writes, latency p50/p99/max, requests
 * hung over 5 s. Exit 0 only when every target holds (see docs/health.md). The blackhole needs
 * root: the drill runs itself again in a network namespace of its own ({@code unshare -n}), whose
 * iptables rules and loopback vanish with it. Then the same load through a real PgBouncer in
 * transaction mode ({@code PAUSE} 5 s) and on real 3-member Patroni clusters: a switchover at
 * Patroni's default timings, a crash of the leader at short ones (ttl 10 s, loop_wait 2 s: at the
 * defaults a crash leaves about 26 s without a primary, past {@code WARDEN_RIDE_THROUGH}, so Warden
 * fails fast there by design; {@code --crash-at-patroni-defaults} runs it so).
 */
@Command(name = "matrix", mixinStandardHelpOptions = true,
        description = "Warden beside a plain HikariCP pool on the same load and faults; exit 0 when every target holds.")
public final class MatrixDrill implements Callable<Integer> {

    @Mixin
    JsonOutput output = new JsonOutput();

    @Option(names = "--pool", defaultValue = "12", description = "Pool size of both clients (default ${DEFAULT-VALUE}).")
    int pool;

    @Option(names = "--writers", defaultValue = "8", description = "Writer threads per client (default ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--faults", split = ",", paramLabel = "KIND",
            description = "Run only these kinds of fault (default: all): ${COMPLETION-CANDIDATES}. Rows left out"
                    + " this way are listed in not_run and do not fail the run (for tests).")
    List<MatrixFault.Kind> only;

    @Option(names = "--patroni-fast", description = "The Patroni switchover with short timings (ttl 10 s, loop_wait 2 s)"
            + " instead of Patroni's defaults (ttl 30 s, loop_wait 10 s).")
    boolean patroniFast;

    @Option(names = "--crash-at-patroni-defaults", description = "The Patroni crash at Patroni's default timings (ttl 30 s,"
            + " loop_wait 10 s: about 26 s without a primary, longer than WARDEN_RIDE_THROUGH) instead of the short ones"
            + " (ttl 10 s, loop_wait 2 s); see docs/health.md for what that costs.")
    boolean crashAtPatroniDefaults;

    @Option(names = "--without-blackhole", description = "Leave out the kernel blackhole (it needs root); the run then cannot pass.")
    boolean withoutBlackhole;

    @Override
    public Integer call() throws Exception {
        if (!withoutBlackhole && wanted(MatrixFault.Kind.BLACKHOLE) && !NetworkNamespace.inOwn()) {
            if (!NetworkNamespace.available()) {
                System.err.println("drill matrix: the kernel blackhole needs root, unshare -n and iptables;"
                        + " run as root, or pass --without-blackhole (the run then cannot pass)");
                return 2;
            }
            return inNamespace();
        }
        return output.print(execute());
    }

    /**
     * Runs the drill in this process (the blackhole only when already in a network namespace of its
     * own) and returns its figures, {@code ok} saying whether every target holds.
     */
    MatrixFigures execute() throws Exception {
        if (!withoutBlackhole && wanted(MatrixFault.Kind.BLACKHOLE) && !NetworkNamespace.inOwn()) {
            throw new IllegalStateException("the blackhole runs only in a network namespace of its own (call())");
        }
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-matrix-drill", Map.of())) {
            return drill(db);
        }
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private int inNamespace() throws Exception {
        return NetworkNamespace.rerun(spec.commandLine().getParseResult().originalArgs());
    }

    static List<MatrixFault> faults(boolean blackhole) {
        List<MatrixFault> f = new ArrayList<>();
        if (blackhole) {
            f.add(new MatrixFault("blackhole 10 s", MatrixFault.Kind.BLACKHOLE, 10_000, false));
        }
        for (long ms : new long[] {500, 1000, 2000, 5000}) {
            f.add(new MatrixFault("stall " + ms / 1000.0 + " s", MatrixFault.Kind.STALL, ms, false));
        }
        f.add(new MatrixFault("CPU starved 90 % for 5 s, idle", MatrixFault.Kind.STARVE, 5000, true));
        f.add(new MatrixFault("CPU starved 90 % for 5 s, under load", MatrixFault.Kind.STARVE, 5000, false));
        f.add(new MatrixFault("restart", MatrixFault.Kind.RESTART, 0, false));
        return f;
    }

    static final MatrixFault PGBOUNCER_PAUSE =
            new MatrixFault("PgBouncer PAUSE 5 s (transaction mode)", MatrixFault.Kind.PGBOUNCER_PAUSE, 5000, false);

    static MatrixFault patroniSwitchover(PatroniCluster.Timings t) {
        return new MatrixFault("Patroni switchover (" + timings(t) + ")", MatrixFault.Kind.PATRONI_SWITCHOVER, 0, false);
    }

    static MatrixFault patroniCrash(PatroniCluster.Timings t) {
        return new MatrixFault("Patroni crash of the leader (" + timings(t) + ")", MatrixFault.Kind.PATRONI_CRASH, 0, false);
    }

    private static String timings(PatroniCluster.Timings t) {
        return "ttl " + t.ttl() + " s, loop_wait " + t.loopWait() + " s";
    }

    private boolean wanted(MatrixFault.Kind kind) {
        return only == null || only.contains(kind);
    }

    private MatrixFigures drill(ThrowawayDatabase db) throws Exception {
        List<MatrixStage.Row> rows = new ArrayList<>();
        List<String> notRun = new ArrayList<>();
        WardenConfig direct = WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).poolMaxSize(pool)
                .applicationName("warden-matrix").build();
        List<MatrixFault> onServer = new ArrayList<>();
        for (MatrixFault f : faults(!withoutBlackhole)) {
            if (wanted(f.kind())) {
                onServer.add(f);
            } else {
                notRun.add(f.name() + ": not in --faults");
            }
        }
        if (!onServer.isEmpty()) {
            MatrixStage server = new MatrixStage(db.jdbcUrl(), db.user(), direct, plain(db.jdbcUrl(), db.user()),
                    new MatrixFault.Target(db, null, null), this::log);
            server.createTable();
            rows.addAll(server.run(onServer, writers));
        }
        if (!wanted(MatrixFault.Kind.PGBOUNCER_PAUSE)) {
            notRun.add(PGBOUNCER_PAUSE.name() + ": not in --faults");
        } else if (!PgBouncer.available()) {
            notRun.add(PGBOUNCER_PAUSE.name() + ": " + PgBouncer.BINARY + " is not installed");
        } else {
            rows.addAll(pooler(db));
        }
        boolean switchover = wanted(MatrixFault.Kind.PATRONI_SWITCHOVER);
        boolean crash = wanted(MatrixFault.Kind.PATRONI_CRASH);
        if (!switchover || !crash) {
            notRun.add("Patroni " + (switchover ? "crash" : crash ? "switchover" : "switchover and crash") + ": not in --faults");
        }
        if ((switchover || crash) && PatroniCluster.unavailable().isPresent()) {
            notRun.add("Patroni: " + PatroniCluster.unavailable().get());
        } else {
            PatroniCluster.Timings switchoverTimings = patroniFast ? PatroniCluster.Timings.FAST
                    : PatroniCluster.Timings.PATRONI_DEFAULTS;
            PatroniCluster.Timings crashTimings = crashAtPatroniDefaults ? PatroniCluster.Timings.PATRONI_DEFAULTS
                    : PatroniCluster.Timings.FAST;
            if (switchover && crash && switchoverTimings.equals(crashTimings)) {
                rows.addAll(patroni(switchoverTimings, List.of(patroniSwitchover(switchoverTimings), patroniCrash(crashTimings))));
            } else {
                if (switchover) {
                    rows.addAll(patroni(switchoverTimings, List.of(patroniSwitchover(switchoverTimings))));
                }
                if (crash) {
                    rows.addAll(patroni(crashTimings, List.of(patroniCrash(crashTimings))));
                }
            }
        }
        return report(rows, notRun, direct.monitor().rideThrough());
    }

    /**
     * A real PgBouncer in transaction mode in front of the same server: Warden with
     * {@code WARDEN_POOLER=transaction}, the plain pool with {@code prepareThreshold=0}, as PgBouncer's
     * own documentation tells JDBC users in transaction mode (without it the plain pool's COMMITs
     * run other clients' prepared statements: lost writes with no fault at all, docs/poolers.md).
     */
    private List<MatrixStage.Row> pooler(ThrowawayDatabase db) throws Exception {
        try (PgBouncer bouncer = PgBouncer.start(db, PgBouncer.Mode.TRANSACTION)) {
            WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(bouncer.jdbcUrl()).poolMaxSize(pool)
                    .pooler(Pooler.TRANSACTION).applicationName("warden-matrix").build();
            HikariConfig hc = plain(bouncer.jdbcUrl() + "?prepareThreshold=0", db.user());
            MatrixStage stage = new MatrixStage(bouncer.jdbcUrl(), db.user(), cfg, hc,
                    new MatrixFault.Target(db, bouncer, null), this::log);
            log("PgBouncer " + bouncer.mode() + " on port " + bouncer.port());
            stage.createTable();
            return stage.run(List.of(PGBOUNCER_PAUSE), writers);
        }
    }

    /**
     * A real Patroni cluster with {@code timings} (etcd, three members, synchronous mode so that a
     * crash loses no acknowledged commit, as docs/failover.md advises) behind the multi-host URL with
     * {@code targetServerType=primary}; Warden with {@code WARDEN_TX_VERIFY_COMMIT}, as
     * {@code drill patroni} runs it.
     */
    private List<MatrixStage.Row> patroni(PatroniCluster.Timings t, List<MatrixFault> faults) throws Exception {
        long t0 = System.nanoTime();
        try (PatroniCluster cluster = PatroniCluster.start(3, t, true)) {
            log("Patroni cluster (" + timings(t) + ") up in " + (System.nanoTime() - t0) / 1_000_000_000 + " s: "
                    + cluster.jdbcUrl());
            WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(cluster.jdbcUrl())
                    .dbUser(cluster.user()).poolMaxSize(pool).txVerifyCommit(true).startupTimeout(Duration.ofMinutes(3))
                    .applicationName("warden-matrix").build();
            MatrixStage stage = new MatrixStage(cluster.jdbcUrl(), cluster.user(), cfg, plain(cluster.jdbcUrl(), cluster.user()),
                    new MatrixFault.Target(null, null, cluster), this::log);
            stage.createTable();
            return stage.run(faults, writers);
        }
    }

    /** The plain pool: HikariCP's defaults but the pool size. */
    private HikariConfig plain(String url, String user) {
        return ClientPair.plainConfig(url, user, pool);
    }

    private MatrixFigures report(List<MatrixStage.Row> stageRows, List<String> notRun, Duration rideThrough) {
        long boundMs = Math.max(rideThrough.toMillis(), 2500);
        List<MatrixFigures.Row> rows = new ArrayList<>();
        boolean ok = true;
        for (MatrixStage.Row r : stageRows) {
            boolean blackhole = r.fault().kind() == MatrixFault.Kind.BLACKHOLE;
            long degradedMs = r.timeline().degradedMs();
            MatrixFigures.Targets targets = MatrixFigures.Targets.of(r.warden(), r.hikari(), boundMs, blackhole,
                    degradedMs, r.timeline().readyAfterHealMs());
            // The connections in use are aborted in the step that declares DEGRADED (a COMMIT on the wire
            // excepted: it is held within the ride-through, and bounded by the waits_at_most target).
            rows.add(new MatrixFigures.Row(r.fault().name(), r.timeline(), blackhole ? degradedMs : null, r.warden(),
                    r.hikari(), targets));
            ok &= targets.allHold();
        }
        // Rows left out on request (--faults) do not fail the run; rows whose fixture is missing do.
        boolean complete = !withoutBlackhole && notRun.stream().allMatch(n -> n.endsWith("not in --faults"));
        return new MatrixFigures(pool, writers, rideThrough.toMillis(), !withoutBlackhole && wanted(MatrixFault.Kind.BLACKHOLE),
                notRun, rows, boundMs, ok && complete);
    }

    private void log(String line) {
        if (!output.json()) {
            System.out.println(line);
        } else {
            System.err.println(line);
        }
    }
}
