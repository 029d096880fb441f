package dev.warden.drill.pooler;

import com.zaxxer.hikari.HikariConfig;
import dev.warden.InitSettings;
import dev.warden.Pooler;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.drill.ClientPair;
import dev.warden.drill.JsonOutput;
import dev.warden.drill.WriterThreads;
import dev.warden.drill.SeedRace;
import dev.warden.drill.StateTimeline;
import dev.warden.drill.WriteClient;
import dev.warden.testing.PgBouncer;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
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

    static final long HUNG_MS = 5_000;
    private static final String EPOCH = "pgbouncer-drill-1";
    private static final String DATABASE = "postgres";
    private static final int INIT_WORKERS = 3;

    @Option(names = "--mode", required = true, description = "PgBouncer's pool mode: transaction or session.")
    String mode;

    @Option(names = "--seconds", defaultValue = "10", description = "Seconds of load after each fault (default ${DEFAULT-VALUE}).")
    int seconds;

    @Mixin
    WriterThreads writerThreads = new WriterThreads();

    @Mixin
    JsonOutput output = new JsonOutput();

    @Override
    public Integer call() throws Exception {
        return output.print(execute());
    }

    private PgBouncer.Mode poolMode() {
        try {
            return PgBouncer.Mode.valueOf(mode.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--mode must be transaction or session, not " + mode);
        }
    }

    /** Runs the drill and returns its figures. */
    PgBouncerFigures execute() throws Exception {
        int threads = writerThreads.count();
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
        List<String> failed = new ArrayList<>();
        long t0 = System.nanoTime();
        PgBouncerFigures.Bouncer pgbouncer;
        PgBouncerFigures.WardenSettings settings;
        PgBouncerFigures.Init init;
        Load load;
        Map<String, Long> logProblems;
        try (ThrowawayDatabase db = ThrowawayDatabase.start("pgbouncer-drill");
             PgBouncer bouncer = PgBouncer.start(db, poolMode, Map.of("default_pool_size", serverConnections))) {
            pgbouncer = new PgBouncerFigures.Bouncer(poolMode.name().toLowerCase(Locale.ROOT),
                    Integer.parseInt(serverConnections), bouncer.jdbcUrl());
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
            settings = new PgBouncerFigures.WardenSettings(cfg.pool().pooler().name().toLowerCase(Locale.ROOT), "advisory",
                    tx ? "straight to the server (past PgBouncer)" : "(none: through PgBouncer)", "30s", threads + 1);
            init = init(db, cfg);
            if (init.initialisationsCommitted() != 1 || init.workersReady() != INIT_WORKERS) {
                failed.add("init: exactly one initialisation committed and every worker READY");
            }
            load = load(db, bouncer, cfg);
            logProblems = logProblems(bouncer.log());
        }
        failed.addAll(PgBouncerFigures.failedTargets(load.warden(), load.phases()));
        return new PgBouncerFigures(pgbouncer, settings, init, load.warden(), load.plain(), load.phases(), logProblems,
                (System.nanoTime() - t0) / 1_000_000_000, failed, failed.isEmpty());
    }

    /** Init workers start together; exactly one initialisation must commit and every worker be READY. */
    private PgBouncerFigures.Init init(ThrowawayDatabase db, WardenConfig cfg) throws Exception {
        long t0 = System.nanoTime();
        // The seeder holds the lock 500 ms: the other workers arrive meanwhile.
        try (SeedRace race = SeedRace.start(cfg, INIT_WORKERS, Duration.ofMillis(500))) {
            SeedRace.Result result = race.await();
            long committed = count(db, "select count(*) from drill_seed");
            progress("init: %d of %d workers READY, seeder ran %d time(s), %d committed", result.ready(), INIT_WORKERS,
                    race.seederRuns(), committed);
            return new PgBouncerFigures.Init(INIT_WORKERS, result.ready(), race.seederRuns(), committed,
                    Math.max(0, committed - 1), (System.nanoTime() - t0) / 1_000_000, result.errors());
        }
    }

    /** What the load did: each client's totals, one row per fault. */
    private record Load(PgBouncerFigures.Client warden, PgBouncerFigures.Client plain, List<PgBouncerFigures.Phase> phases) {
    }

    /** The same write load through Warden and a plain HikariCP pool, through each fault in turn. */
    private Load load(ThrowawayDatabase db, PgBouncer bouncer, WardenConfig cfg) throws Exception {
        int threads = writerThreads.count();
        AtomicLong ids = new AtomicLong();
        HikariConfig hc = ClientPair.plainConfig(bouncer.jdbcUrl(), ThrowawayDatabase.USER, threads + 1);
        hc.setAutoCommit(false); // one transaction per write, committed, as Warden's
        List<PgBouncerFigures.Phase> phases = new ArrayList<>();
        List<PoolerFault.Outcome> holds = new ArrayList<>();
        WriteClient.Pair clients;
        try (ClientPair pair = ClientPair.open(cfg, hc)) {
            Warden warden = pair.warden().start();
            StateTimeline timeline = new StateTimeline(warden);
            clients = WriteClient.pair(pair, ids, threads);
            try (clients) {
                WriteClient wardenClient = clients.warden();
                WriteClient plainClient = clients.plain();
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
                    PgBouncerFigures.Phase p = PgBouncerFigures.Phase.of(fault.name().toLowerCase(Locale.ROOT),
                            o.figures(), timeline.phase(start, end, wardenClient), warden.state().name(),
                            PgBouncerFigures.Delta.between(w0, wardenClient.counts()),
                            PgBouncerFigures.Delta.between(p0, plainClient.counts()));
                    progress("%s: %s", fault, JsonOutput.toJson(p));
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
        return new Load(client(clients.warden(), stored, holds), client(clients.plain(), stored, holds), phases);
    }

    private static PgBouncerFigures.Client client(WriteClient client, Set<Long> stored, List<PoolerFault.Outcome> holds) {
        return new PgBouncerFigures.Client(client.figures(), client.lost(stored), hungBeyondHold(client, holds));
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
