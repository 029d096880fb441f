package dev.warden.drill.matrix;

import com.zaxxer.hikari.HikariConfig;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.drill.ClientPair;
import dev.warden.drill.Figures;
import dev.warden.drill.Latency;
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
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One stack of the matrix drill (the server alone, PgBouncer in front of it, a Patroni cluster):
 * Warden and a plain HikariCP pool side by side on the same URL, the same load on both, its faults
 * one after the other. Returns one row of figures per fault and client.
 *
 * @param url          the JDBC URL both clients use
 * @param user         the user both connect as
 * @param warden       Warden's configuration
 * @param plain        the plain pool's configuration (URL, user, size, name)
 * @param target       what the faults are made on
 * @param log          progress lines
 */
record MatrixStage(String url, String user, WardenConfig warden, HikariConfig plain, MatrixFault.Target target,
                   Consumer<String> log) {

    /** One fault's figures: the fault, Warden's state changes around it, the two clients' figures. */
    record Row(MatrixFault fault, MatrixFigures.Timeline timeline, MatrixFigures.Client warden,
               MatrixFigures.Client hikari) {
    }

    /** Waits for READY after a fault this long: a Patroni crash at Patroni's default timings lasts up to about 40 s. */
    private static final Duration READY_PATIENCE = Duration.ofMinutes(3);

    /** Creates the drill's table on the stage's database (through {@link #url()}). */
    void createTable() throws Exception {
        try (Connection c = DriverManager.getConnection(url, user, "");
             Statement st = c.createStatement()) {
            st.execute("create table if not exists matrix_writes (id uuid primary key, client text not null)");
        }
    }

    /** Runs the load through both clients and the faults one after the other; one row per fault. */
    List<Row> run(List<MatrixFault> faults, int writers) throws Exception {
        List<long[]> transitions = new CopyOnWriteArrayList<>();
        AtomicInteger phase = new AtomicInteger();
        List<long[]> windows = new ArrayList<>();
        MatrixLoad w;
        MatrixLoad h;
        Map<Integer, List<Long>> hungW;
        Map<Integer, List<Long>> hungH;
        try (ClientPair pair = ClientPair.open(warden, plain)) {
            Warden wd = pair.warden();
            wd.lifecycle().addListener(t -> transitions.add(new long[] {System.nanoTime(), t.to().ordinal()}));
            wd.start();
            w = new MatrixLoad(MatrixLoad.warden(wd), phase);
            h = new MatrixLoad(MatrixLoad.plain(pair.plain()), phase);
            w.start(writers, 2);
            h.start(writers, 2);
            Thread.sleep(2000);
            for (int i = 0; i < faults.size(); i++) {
                MatrixFault f = faults.get(i);
                f.prepare(target);
                phase.set(i + 1); // a phase runs from the calm second before its fault to the end of its settling
                w.idle(f.idle());
                h.idle(f.idle());
                Thread.sleep(f.idle() ? 1500 : 1000);
                log.accept("fault: " + f.name());
                windows.add(f.apply(target));
                wd.awaitReady(READY_PATIENCE);
                Thread.sleep(3000); // both clients settle
                w.idle(false);
                h.idle(false);
            }
            phase.set(faults.size() + 1);
            w.stop(40_000);
            h.stop(40_000);
            // What has not finished 40 s after the last fault settled is hung.
            hungW = w.stillRunning();
            hungH = h.stillRunning();
        }
        Set<UUID> present = new HashSet<>();
        try (Connection c = DriverManager.getConnection(url, user, "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select id from matrix_writes")) {
            while (rs.next()) {
                present.add(rs.getObject(1, UUID.class));
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < faults.size(); i++) {
            int p = i + 1;
            long cut = windows.get(i)[0];
            long healed = windows.get(i)[1];
            // DEGRADED counts for this fault when it came before the fault was healed (or soon after).
            Long degraded = firstAfter(transitions, cut, State.DEGRADED);
            if (degraded != null && degraded > healed + TimeUnit.SECONDS.toNanos(3)) {
                degraded = null;
            }
            // A switchover's new leader may serve before Patroni's REST API says so: READY may come
            // before the heal was seen (a negative figure).
            Long ready = degraded == null ? null : firstAfter(transitions, degraded, State.READY);
            MatrixFigures.Timeline timeline = new MatrixFigures.Timeline((healed - cut) / 1_000_000,
                    degraded == null ? -1 : (degraded - cut) / 1_000_000,
                    ready == null ? null : (ready - healed) / 1_000_000);
            rows.add(new Row(faults.get(i), timeline, figures(w.results(), p, present, hungW.get(p)),
                    figures(h.results(), p, present, hungH.get(p))));
        }
        return rows;
    }

    private static MatrixFigures.Client figures(List<MatrixLoad.Result> all, int p, Set<UUID> present, List<Long> running) {
        List<Long> nanos = new ArrayList<>();
        Map<String, Long> byKind = new TreeMap<>();
        Map<String, String> examples = new TreeMap<>(); // the first message of each kind of failure
        long unknown = 0;
        List<UUID> acked = new ArrayList<>();
        long hung = 0;
        List<MatrixLoad.Result> slowest = new ArrayList<>();
        for (MatrixLoad.Result r : all) {
            if (r.phase() != p) {
                continue;
            }
            slowest.add(r);
            nanos.add(r.nanos());
            if (r.nanos() > TimeUnit.SECONDS.toNanos(5)) {
                hung++;
            }
            if (r.unknown()) {
                unknown++;
                examples.putIfAbsent("unknown", shorten(r.message()));
            } else if (r.failure() != null) {
                byKind.merge(r.failure(), 1L, Long::sum);
                examples.putIfAbsent(r.failure(), shorten(r.message()));
            } else {
                acked.add(r.id());
            }
        }
        long stillRunning = running == null ? 0 : running.size();
        if (running != null) {
            nanos.addAll(running);
            hung += running.stream().filter(n -> n > TimeUnit.SECONDS.toNanos(5)).count();
        }
        // The slowest requests and how each ended: what a bound that does not hold is made of.
        List<String> slowestFive = slowest.stream().sorted((a, b) -> Long.compare(b.nanos(), a.nanos())).limit(5)
                .map(r -> Figures.millis(r.nanos()) + " ms " + (r.unknown() ? "unknown" : r.failure() == null ? "ok" : r.failure()))
                .toList();
        MatrixFigures.Outcomes outcomes = new MatrixFigures.Outcomes(byKind.values().stream().mapToLong(Long::longValue).sum(),
                byKind, unknown, MatrixLoad.lost(acked, present));
        return new MatrixFigures.Client(nanos.size(), outcomes, Latency.ofNanos(nanos), hung, slowestFive, stillRunning,
                examples);
    }

    private static String shorten(String message) {
        return message == null || message.length() <= 400 ? message : message.substring(0, 400) + "…";
    }

    private static Long firstAfter(List<long[]> transitions, long after, State state) {
        for (long[] t : transitions) {
            if (t[0] >= after && t[1] == state.ordinal()) {
                return t[0];
            }
        }
        return null;
    }
}
