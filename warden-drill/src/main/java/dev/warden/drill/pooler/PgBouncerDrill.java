package dev.warden.drill.pooler;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.warden.InitSettings;
import dev.warden.Pooler;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.drill.JsonOutput;
import dev.warden.drill.StateTimeline;
import dev.warden.drill.WriteClient;
import dev.warden.testing.PgBouncer;
import dev.warden.testing.ThrowawayDatabase;
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
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
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
 * {@code warden drill pgbouncer}: a throwaway PostgreSQL behind a real PgBouncer ({@value PgBouncer#BINARY})
 * in session or transaction mode, reached with the URL as a user writes it (no driver parameters).
 * Init workers start together (exactly one initialisation must commit); then the same write load runs
 * through Warden ({@code WARDEN_POOLER=<mode>}) and through a plain HikariCP pool of the same size,
 * steady, through {@code PAUSE} 5 s, {@code KILL <db>} + {@code RESUME <db>} and {@code RECONNECT}.
 * Afterwards every acknowledged write is looked up on the server.
 */
@Command(name = "pgbouncer", mixinStandardHelpOptions = true,
        description = "PAUSE, KILL and RECONNECT of a real PgBouncer under load, Warden and plain HikariCP side by side.")
public final class PgBouncerDrill implements Callable<Integer> {

    static final long FIRST_COMMIT_AFTER_READY_MAX_MS = 100;
    static final long HUNG_MS = 5_000;
    private static final String EPOCH = "pgbouncer-drill-1";
    private static final String DATABASE = "postgres";
    private static final int INIT_WORKERS = 3;

    @Option(names = "--mode", required = true, description = "PgBouncer's pool mode: transaction or session.")
    String mode;

    @Option(names = "--seconds", defaultValue = "10", description = "Seconds of load after each fault (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--threads", defaultValue = "4", description = "Writer threads per client (default ${DEFAULT-VALUE}).")
    int threads;

    @Mixin
    JsonOutput output = new JsonOutput();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> f = execute();
        return output.print(f, Boolean.TRUE.equals(f.get("pass")), () -> JsonOutput.toPrettyJson(f) + "\n"
                + (Boolean.TRUE.equals(f.get("pass")) ? "PASS: every target holds" : "FAIL: " + f.get("failed_targets")));
    }

    private PgBouncer.Mode poolMode() {
        try {
            return PgBouncer.Mode.valueOf(mode.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--mode must be transaction or session, not " + mode);
        }
    }

    /** Runs the drill and returns its figures. */
    public Map<String, Object> execute() throws Exception {
        PgBouncer.Mode poolMode = poolMode();
        if (threads < 1 || threads > 32 || seconds < 1 || seconds > 3600) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--threads must be 1 to 32, --seconds 1 to 3600");
        }
        if (!PgBouncer.available()) {
            throw new IllegalStateException(PgBouncer.BINARY + " is not installed (Debian's pgbouncer package)");
        }
        boolean tx = poolMode == PgBouncer.Mode.TRANSACTION;
        // Transaction mode: fewer server connections than the clients hold, so that consecutive
        // transactions of one client run on different server connections. Session mode: one server
        // connection per client connection, with room for the init workers.
        String serverConnections = tx ? String.valueOf(threads) : "80";
        Map<String, Object> f = new LinkedHashMap<>();
        List<String> failed = new ArrayList<>();
        long t0 = System.nanoTime();
        try (ThrowawayDatabase db = ThrowawayDatabase.start("pgbouncer-drill");
             PgBouncer bouncer = PgBouncer.start(db, poolMode, Map.of("default_pool_size", serverConnections))) {
            f.put("pgbouncer", Map.of("pool_mode", poolMode.name().toLowerCase(Locale.ROOT),
                    "default_pool_size", Integer.parseInt(serverConnections), "url", bouncer.jdbcUrl()));
            try (Connection c = direct(db); Statement st = c.createStatement()) {
                st.execute("create table drill_write (id bigint primary key, client text not null)");
                st.execute("create table drill_seed (worker int not null, at timestamptz not null default now())");
            }
            WardenConfig.Builder cb = WardenConfig.builder().environment(Map.of())
                    .dbUrl(bouncer.jdbcUrl()).dbUser(ThrowawayDatabase.USER)
                    .pooler(tx ? Pooler.TRANSACTION : Pooler.SESSION)
                    .statementTimeout(Duration.ofSeconds(30))
                    .initEpoch(EPOCH)
                    .initLock(InitSettings.LockKind.ADVISORY)
                    .poolMaxSize(threads + 1)
                    .startupTimeout(Duration.ofMinutes(2))
                    .applicationName("pgbouncer-drill");
            if (tx) {
                // docs/poolers.md's recommended set-up: the initialisation (and its advisory lock) straight to the server.
                cb.initDbUrl(db.jdbcUrl());
            }
            WardenConfig cfg = cb.build();
            f.put("warden_config", Map.of("WARDEN_POOLER", cfg.pooler().name().toLowerCase(Locale.ROOT),
                    "WARDEN_INIT_LOCK", "advisory",
                    "WARDEN_INIT_DB_URL", tx ? "straight to the server (past PgBouncer)" : "(none: through PgBouncer)",
                    "WARDEN_STATEMENT_TIMEOUT", "30s", "pool_size", threads + 1));
            f.put("init", init(db, cfg, failed));
            f.putAll(load(db, bouncer, cfg, failed));
            f.put("pgbouncer_log_problems", logProblems(bouncer.log()));
        }
        f.put("run_s", (System.nanoTime() - t0) / 1_000_000_000);
        f.put("failed_targets", failed);
        f.put("pass", failed.isEmpty());
        return f;
    }

    /** Init workers start together; exactly one initialisation must commit and every worker be READY. */
    private Map<String, Object> init(ThrowawayDatabase db, WardenConfig cfg, List<String> failed) throws Exception {
        AtomicInteger seederRuns = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(INIT_WORKERS);
        List<Future<Warden>> workers = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            for (int w = 0; w < INIT_WORKERS; w++) {
                int worker = w;
                workers.add(pool.submit(() -> Warden.builder().config(cfg).seeder("drill-seed-1", ctx -> {
                    seederRuns.incrementAndGet();
                    try (PreparedStatement ps = ctx.connection().prepareStatement("insert into drill_seed (worker) values (?)")) {
                        ps.setInt(1, worker);
                        ps.executeUpdate();
                    }
                    Thread.sleep(500); // the other workers arrive while this one holds the lock
                }).build().start()));
            }
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
            long committed = count(db, "select count(*) from drill_seed");
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("workers", INIT_WORKERS);
            f.put("workers_ready", ready);
            f.put("seeder_runs", seederRuns.get());
            f.put("initialisations_committed", committed);
            f.put("double_initialisations", Math.max(0, committed - 1));
            f.put("all_ready_after_ms", (System.nanoTime() - t0) / 1_000_000);
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

    /** The same write load through Warden and a plain HikariCP pool, through each fault in turn. */
    private Map<String, Object> load(ThrowawayDatabase db, PgBouncer bouncer, WardenConfig cfg, List<String> failed)
            throws Exception {
        AtomicLong ids = new AtomicLong();
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(bouncer.jdbcUrl());
        hc.setUsername(ThrowawayDatabase.USER);
        hc.setMaximumPoolSize(threads + 1);
        hc.setAutoCommit(false); // one transaction per write, committed, as Warden's
        hc.setPoolName("plain-hikari");
        List<Map<String, Object>> phases = new ArrayList<>();
        List<PoolerFault.Outcome> holds = new ArrayList<>();
        WriteClient wardenClient;
        WriteClient plainClient;
        try (Warden warden = Warden.create(cfg).start(); HikariDataSource plain = new HikariDataSource(hc)) {
            StateTimeline timeline = new StateTimeline(warden);
            wardenClient = new WriteClient("warden", id -> warden.useTransaction(t -> {
                try (PreparedStatement ps = t.connection().prepareStatement("insert into drill_write values (?, 'warden')")) {
                    ps.setLong(1, id);
                    ps.executeUpdate();
                }
            }), ids, threads);
            plainClient = new WriteClient("plain", id -> {
                try (Connection c = plain.getConnection();
                     PreparedStatement ps = c.prepareStatement("insert into drill_write values (?, 'plain')")) {
                    ps.setLong(1, id);
                    ps.executeUpdate();
                    c.commit();
                }
            }, ids, threads);
            try (wardenClient; plainClient) {
                for (PoolerFault fault : PoolerFault.values()) {
                    long[] w0 = wardenClient.counts();
                    long[] p0 = plainClient.counts();
                    long start = System.nanoTime();
                    progress("%s", fault);
                    PoolerFault.Outcome o = fault.make(bouncer, DATABASE);
                    holds.add(o);
                    Thread.sleep(seconds * 1000L);
                    wardenClient.awaitMore(1, 60_000);
                    long end = System.nanoTime();
                    Map<String, Object> p = new LinkedHashMap<>();
                    p.put("phase", fault.name().toLowerCase(Locale.ROOT));
                    p.putAll(o.figures());
                    p.putAll(timeline.phase(start, end, wardenClient));
                    p.put("warden_state_at_end", warden.state().name());
                    p.put("warden", delta(w0, wardenClient.counts()));
                    p.put("plain", delta(p0, plainClient.counts()));
                    progress("%s: %s", fault, p);
                    phases.add(p);
                }
            }
        }
        Set<Long> stored = new HashSet<>();
        try (Connection c = direct(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select id from drill_write")) {
            while (rs.next()) {
                stored.add(rs.getLong(1));
            }
        }
        Map<String, Object> f = new LinkedHashMap<>();
        for (WriteClient client : List.of(wardenClient, plainClient)) {
            Map<String, Object> cf = client.figures();
            cf.put("lost_writes", client.acknowledged().stream().filter(id -> !stored.contains(id)).count());
            cf.put("hung_over_5s_beyond_pooler_hold", hungBeyondHold(client, holds));
            f.put(client.name(), cf);
        }
        f.put("phases", phases);
        targets(f, failed);
        return f;
    }

    /** Adds to {@code failed} each target the figures {@code f} miss. */
    @SuppressWarnings("unchecked")
    static void targets(Map<String, Object> f, List<String> failed) {
        Map<String, Object> w = (Map<String, Object>) f.get("warden");
        if (!Long.valueOf(0).equals(w.get("lost_writes"))) {
            failed.add("warden lost_writes == 0");
        }
        if (!Long.valueOf(0).equals(w.get("hung_over_5s_beyond_pooler_hold"))) {
            failed.add("no warden request hung > 5 s (beyond PgBouncer's own hold)");
        }
        for (Map<String, Object> p : (List<Map<String, Object>>) f.get("phases")) {
            Object fc = p.get("first_commit_after_ready_ms");
            if (p.get("ready_after_ms") != null && !(fc instanceof Double ms && ms <= FIRST_COMMIT_AFTER_READY_MAX_MS)) {
                failed.add(p.get("phase") + ": first_commit_after_ready_ms <= " + FIRST_COMMIT_AFTER_READY_MAX_MS);
            }
            if (p.get("degraded_after_ms") != null && p.get("ready_after_ms") == null) {
                failed.add(p.get("phase") + ": READY again after DEGRADED");
            }
        }
    }

    /**
     * Requests that took longer than 5 s once the time PgBouncer held traffic on purpose (a PAUSE
     * until its RESUME, a KILL until its RESUME) is taken off: a request sent during a 5 s PAUSE
     * waits for the RESUME by design, in PgBouncer, whatever the client.
     */
    static long hungBeyondHold(WriteClient client, List<PoolerFault.Outcome> holds) {
        long hung = 0;
        for (long[] s : client.spans()) {
            long held = 0;
            for (PoolerFault.Outcome h : holds) {
                held += Math.max(0, Math.min(s[1], h.holdEnd()) - Math.max(s[0], h.holdStart()));
            }
            if (s[1] - s[0] - held > HUNG_MS * 1_000_000) {
                hung++;
            }
        }
        return hung;
    }

    private static Map<String, Object> delta(long[] before, long[] after) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("acknowledged", after[0] - before[0]);
        d.put("failed", after[1] - before[1]);
        return d;
    }

    /** PgBouncer's warnings and errors, counted by message (connection ids, addresses and numbers masked). */
    static Map<String, Long> logProblems(String log) {
        Map<String, Long> byMessage = new java.util.TreeMap<>();
        for (String line : log.split("\n")) {
            int at = Math.max(line.indexOf(" WARNING "), line.indexOf(" ERROR "));
            if (at < 0) {
                continue;
            }
            String message = line.substring(at + 1)
                    .replaceAll("[CS]-0x[0-9a-f]+: ", "")
                    .replaceAll("\\S+@\\S+:\\d+ ", "")
                    .replaceAll("\\d+", "#");
            byMessage.merge(message, 1L, Long::sum);
        }
        return byMessage;
    }

    private static Connection direct(ThrowawayDatabase db) throws Exception {
        return DriverManager.getConnection(db.jdbcUrl(), ThrowawayDatabase.USER, "");
    }

    private static long count(ThrowawayDatabase db, String sql) throws Exception {
        try (Connection c = direct(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void progress(String format, Object... args) {
        System.err.printf("pgbouncer drill: " + format + "%n", args);
    }
}
