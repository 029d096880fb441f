package dev.warden.drill.init;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.InitStatus;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.spi.Seeder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One process of {@code warden drill init} (and of the multi-process tests): a JVM that starts a
 * Warden configured from {@code WARDEN_*} variables with the drill's migrations and seeder, and
 * reports on stdout, one line each:
 * <pre>
 * BOOTED {pid}          the JVM is up; it now waits for a line "GO" on stdin (so that all start at once)
 * PAUSING {ms}          (with DRILL_SEED_PAUSE_MS) the seeder holds its transaction open, idle, for ms
 * READY {json}          Warden is READY: pid, epoch, owner, initialized_here, took_over, ms (GO → READY)
 * FAILED {json}         start() failed: pid, error, ms
 * </pre>
 * The seeder writes {@code DRILL_SEED_ROWS} items (default 5,000) in batches, sleeping
 * {@code DRILL_SEED_PAUSE_MS} (default 0) half-way, and one {@code seed_run} row, so that the
 * drill can count seedings per epoch from the data itself. SIGTERM closes Warden (a shutdown hook),
 * as a service does.
 */
public final class InitWorker {

    private InitWorker() {
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper json = new ObjectMapper();
        long pid = ProcessHandle.current().pid();
        int rows = Integer.parseInt(System.getenv().getOrDefault("DRILL_SEED_ROWS", "5000"));
        long pauseMs = Long.parseLong(System.getenv().getOrDefault("DRILL_SEED_PAUSE_MS", "0"));
        WardenConfig config = WardenConfig.fromEnvironment();
        Warden warden = Warden.builder().config(config).seeder("drill-seed-1", seeder(rows, pauseMs, pid)).build();
        // As a service does: SIGTERM closes Warden, which stops an initialisation in progress (left
        // IN_PROGRESS for the next process, not counted as a failed attempt).
        Runtime.getRuntime().addShutdownHook(new Thread(warden::close, "close-warden"));
        System.out.println("BOOTED " + pid);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line = in.readLine();
        if (!"GO".equals(line)) {
            System.out.println("FAILED {\"pid\":" + pid + ",\"error\":\"no GO on stdin\"}");
            System.exit(2);
        }
        long t0 = System.nanoTime();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pid", pid);
        try {
            warden.start();
            InitStatus s = warden.initStatus().orElseThrow();
            out.put("ms", (System.nanoTime() - t0) / 1_000_000);
            out.put("epoch", s.epoch());
            out.put("owner", s.owner().name());
            out.put("initialized_here", s.initializedHere());
            out.put("took_over", s.thisProcess().tookOver());
            out.put("attempts", s.attempts());
            System.out.println("READY " + json.writeValueAsString(out));
            System.out.flush();
            warden.close();
            System.exit(0);
        } catch (RuntimeException e) {
            out.put("ms", (System.nanoTime() - t0) / 1_000_000);
            out.put("error", e.getMessage());
            System.out.println("FAILED " + json.writeValueAsString(out));
            System.out.flush();
            warden.close();
            System.exit(1);
        }
    }

    private static Seeder seeder(int rows, long pauseMs, long pid) {
        return ctx -> {
            try (PreparedStatement ps = ctx.connection().prepareStatement(
                    "insert into item (epoch, n, label) values (?, ?, ?)")) {
                for (int i = 1; i <= rows; i++) {
                    ps.setString(1, ctx.epoch());
                    ps.setInt(2, i);
                    ps.setString(3, "item " + i + " of " + ctx.epoch());
                    ps.addBatch();
                    if (i % 500 == 0) {
                        ps.executeBatch();
                        ctx.progress(i + " of " + rows + " items");
                    }
                    if (i == rows / 2 && pauseMs > 0) {
                        ps.executeBatch();
                        System.out.println("PAUSING " + pauseMs);
                        System.out.flush();
                        Thread.sleep(pauseMs);
                    }
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = ctx.connection().prepareStatement(
                    "insert into seed_run (epoch, owner, pid, rows) values (?, ?, ?, ?)")) {
                ps.setString(1, ctx.epoch());
                ps.setString(2, "pid " + pid);
                ps.setLong(3, pid);
                ps.setInt(4, rows);
                ps.executeUpdate();
            }
        };
    }
}
