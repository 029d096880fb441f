package dev.warden.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code warden drill matrix}: one write load through Warden and, side by side on the same server
 * and faults, through a plain HikariCP pool (same size, its defaults otherwise): a kernel blackhole,
 * server stalls of 0.5, 1, 2 and 5 s, CPU starvation idle and under load, a restart. Per fault and
 * client: failed requests by kind, unknown outcomes, lost writes, latency p50/p99/max, requests
 * hung over 5 s. Exit 0 only when every target holds (see docs/health.md). The blackhole needs
 * root: the drill runs itself again in a network namespace of its own ({@code unshare -n}), whose
 * iptables rules and loopback vanish with it. PgBouncer and Patroni rows come with their fixtures.
 */
@Command(name = "matrix", mixinStandardHelpOptions = true,
        description = "Warden beside a plain HikariCP pool on the same load and faults; exit 0 when every target holds.")
public final class MatrixDrill implements Callable<Integer> {

    static final String IN_NAMESPACE = "WARDEN_MATRIX_NETNS";

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--pool", defaultValue = "12", description = "Pool size of both clients (default ${DEFAULT-VALUE}).")
    int pool;

    @Option(names = "--writers", defaultValue = "8", description = "Writer threads per client (default ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--without-blackhole", description = "Leave out the kernel blackhole (it needs root); the run then cannot pass.")
    boolean withoutBlackhole;

    @Override
    public Integer call() throws Exception {
        if (!withoutBlackhole && System.getenv(IN_NAMESPACE) == null) {
            if (!namespaceAvailable()) {
                System.err.println("drill matrix: the kernel blackhole needs root, unshare -n and iptables;"
                        + " run as root, or pass --without-blackhole (the run then cannot pass)");
                return 2;
            }
            return inNamespace();
        }
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-matrix-drill", Map.of())) {
            return drill(db);
        }
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    static boolean namespaceAvailable() {
        try {
            Process p = new ProcessBuilder("unshare", "-n", "--", "sh", "-c", "ip link set lo up && iptables -L INPUT -n")
                    .redirectErrorStream(true).start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private int inNamespace() throws Exception {
        return inNamespace(spec.commandLine().getParseResult().originalArgs());
    }

    /**
     * Runs the command line {@code args} again in a network namespace of its own (loopback up),
     * output passed through; returns its exit code.
     */
    static int inNamespace(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("unshare", "-n", "--", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""));
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), WardenCli.class.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put(IN_NAMESPACE, "1");
        Process p = pb.start();
        return p.waitFor();
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

    private Integer drill(ThrowawayDatabase db) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
             Statement st = c.createStatement()) {
            st.execute("create table matrix_writes (id uuid primary key, client text not null)");
        }
        WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).poolMaxSize(pool)
                .applicationName("warden-matrix").build();
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(db.jdbcUrl());
        hc.setUsername(db.user());
        hc.setMaximumPoolSize(pool);
        hc.setPoolName("plain-hikari");
        List<long[]> transitions = new CopyOnWriteArrayList<>();
        AtomicInteger phase = new AtomicInteger();
        List<MatrixFault> faults = faults(!withoutBlackhole);
        List<long[]> windows = new ArrayList<>();
        MatrixLoad w;
        MatrixLoad h;
        try (Warden warden = Warden.create(cfg); HikariDataSource plain = new HikariDataSource(hc)) {
            warden.lifecycle().addListener(t -> transitions.add(new long[] {System.nanoTime(), t.to().ordinal()}));
            warden.start();
            w = new MatrixLoad(MatrixLoad.warden(warden), phase);
            h = new MatrixLoad(MatrixLoad.plain(plain), phase);
            w.start(writers, 2);
            h.start(writers, 2);
            Thread.sleep(2000);
            for (int i = 0; i < faults.size(); i++) {
                MatrixFault f = faults.get(i);
                phase.set(i + 1); // a phase runs from the calm second before its fault to the end of its settling
                w.idle(f.idle());
                h.idle(f.idle());
                Thread.sleep(f.idle() ? 1500 : 1000);
                log("fault: " + f.name());
                windows.add(f.apply(db));
                warden.awaitReady(Duration.ofSeconds(30));
                Thread.sleep(3000); // both clients settle
                w.idle(false);
                h.idle(false);
            }
            phase.set(faults.size() + 1);
            w.stop(40_000);
            h.stop(40_000);
            // What has not finished 40 s after the last fault settled is hung.
            Map<Integer, List<Long>> hungW = w.stillRunning();
            Map<Integer, List<Long>> hungH = h.stillRunning();
            return report(db, faults, windows, transitions, warden.config().rideThrough(), w, h, hungW, hungH);
        }
    }

    private int report(ThrowawayDatabase db, List<MatrixFault> faults, List<long[]> windows, List<long[]> transitions,
                       Duration rideThrough, MatrixLoad w, MatrixLoad h, Map<Integer, List<Long>> hungW,
                       Map<Integer, List<Long>> hungH) throws Exception {
        Set<UUID> present = new HashSet<>();
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select id from matrix_writes")) {
            while (rs.next()) {
                present.add(rs.getObject(1, UUID.class));
            }
        }
        long boundMs = Math.max(rideThrough.toMillis(), 2500);
        List<Map<String, Object>> rows = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < faults.size(); i++) {
            int p = i + 1;
            Map<String, Object> fw = figures(w.results(), p, present, hungW.get(p));
            Map<String, Object> fh = figures(h.results(), p, present, hungH.get(p));
            Map<String, Object> targets = new LinkedHashMap<>();
            if ((long) fh.get("failed") == 0) {
                targets.put("fails_nothing_the_plain_pool_served", (long) fw.get("failed") == 0);
            }
            targets.put("loses_nothing", (long) fw.get("lost") == 0);
            targets.put("no_more_unknown_than_plain", (long) fw.get("unknown") <= (long) fh.get("unknown"));
            targets.put("waits_at_most_" + boundMs + "_ms", (double) fw.get("max_ms") <= boundMs
                    && (long) fw.get("still_running") == 0);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("fault", faults.get(i).name());
            if (faults.get(i).kind() == MatrixFault.Kind.BLACKHOLE) {
                long cut = windows.get(i)[0];
                long healed = windows.get(i)[1];
                Long degraded = firstAfter(transitions, cut, State.DEGRADED);
                Long ready = firstAfter(transitions, healed, State.READY);
                long degradedMs = degraded == null ? -1 : (degraded - cut) / 1_000_000;
                long readyMs = ready == null ? -1 : (ready - healed) / 1_000_000;
                row.put("degraded_ms", degradedMs);
                // The connections in use are aborted in the step that declares DEGRADED.
                row.put("in_flight_released_ms", degradedMs);
                row.put("ready_after_heal_ms", readyMs);
                targets.put("degraded_within_1500_ms", degradedMs >= 0 && degradedMs <= 1500);
                targets.put("released_within_2500_ms", degradedMs >= 0 && degradedMs <= 2500);
                targets.put("ready_within_1000_ms_of_heal", readyMs >= 0 && readyMs <= 1000);
            }
            row.put("warden", fw);
            row.put("hikari", fh);
            row.put("targets", targets);
            ok &= targets.values().stream().allMatch(Boolean.TRUE::equals);
            rows.add(row);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pool", pool);
        out.put("writers", writers);
        out.put("ride_through_ms", rideThrough.toMillis());
        out.put("blackhole", !withoutBlackhole);
        out.put("not_run", "PgBouncer PAUSE and Patroni switchover/crash: their fixtures are not in this build yet");
        out.put("faults", rows);
        out.put("ok", ok && !withoutBlackhole);
        if (json) {
            System.out.println(new ObjectMapper().writeValueAsString(out));
        } else {
            printTable(rows, boundMs);
            System.out.println(ok ? "OK: every target holds." : "FAILED: a target does not hold (see the targets).");
        }
        return ok && !withoutBlackhole ? 0 : 1;
    }

    private static Map<String, Object> figures(List<MatrixLoad.Result> all, int p, Set<UUID> present, List<Long> running) {
        List<Long> nanos = new ArrayList<>();
        Map<String, Long> byKind = new TreeMap<>();
        long unknown = 0;
        List<UUID> acked = new ArrayList<>();
        long hung = 0;
        for (MatrixLoad.Result r : all) {
            if (r.phase() != p) {
                continue;
            }
            nanos.add(r.nanos());
            if (r.nanos() > TimeUnit.SECONDS.toNanos(5)) {
                hung++;
            }
            if (r.unknown()) {
                unknown++;
            } else if (r.failure() != null) {
                byKind.merge(r.failure(), 1L, Long::sum);
            } else {
                acked.add(r.id());
            }
        }
        long stillRunning = running == null ? 0 : running.size();
        if (running != null) {
            nanos.addAll(running);
            hung += running.stream().filter(n -> n > TimeUnit.SECONDS.toNanos(5)).count();
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("requests", (long) nanos.size());
        f.put("failed", byKind.values().stream().mapToLong(Long::longValue).sum());
        f.put("failed_by_kind", byKind);
        f.put("unknown", unknown);
        f.put("lost", MatrixLoad.lost(acked, present));
        f.put("p50_ms", Figures.millis(Figures.percentile(nanos, 0.50)));
        f.put("p99_ms", Figures.millis(Figures.percentile(nanos, 0.99)));
        f.put("max_ms", Figures.millis(nanos.stream().mapToLong(Long::longValue).max().orElse(0)));
        f.put("hung_over_5s", hung);
        f.put("still_running", stillRunning);
        return f;
    }

    @SuppressWarnings("unchecked")
    private static void printTable(List<Map<String, Object>> rows, long boundMs) {
        System.out.printf("%-38s | %-44s | %-44s%n", "fault", "plain HikariCP: failed/unknown/lost, p99/max ms",
                "Warden: failed/unknown/lost, p99/max ms");
        for (Map<String, Object> r : rows) {
            Map<String, Object> h = (Map<String, Object>) r.get("hikari");
            Map<String, Object> w = (Map<String, Object>) r.get("warden");
            System.out.printf("%-38s | %-44s | %-44s%n", r.get("fault"), cell(h), cell(w));
            if (r.containsKey("degraded_ms")) {
                System.out.printf("%-38s   DEGRADED after %s ms, in flight released %s ms, READY %s ms after the heal%n", "",
                        r.get("degraded_ms"), r.get("in_flight_released_ms"), r.get("ready_after_heal_ms"));
            }
            System.out.printf("%-38s   targets: %s%n", "", r.get("targets"));
        }
        System.out.println("Bound on any Warden request: " + boundMs + " ms (max of WARDEN_RIDE_THROUGH and 2.5 s).");
    }

    private static String cell(Map<String, Object> f) {
        return f.get("failed") + " " + f.get("failed_by_kind") + " / " + f.get("unknown") + " / " + f.get("lost") + ", "
                + f.get("p99_ms") + "/" + f.get("max_ms") + (((long) f.get("hung_over_5s")) > 0
                ? ", hung>5s " + f.get("hung_over_5s") : "");
    }

    private static Long firstAfter(List<long[]> transitions, long after, State state) {
        for (long[] t : transitions) {
            if (t[0] >= after && t[1] == state.ordinal()) {
                return t[0];
            }
        }
        return null;
    }

    private void log(String line) {
        if (!json) {
            System.out.println(line);
        } else {
            System.err.println(line);
        }
    }
}
