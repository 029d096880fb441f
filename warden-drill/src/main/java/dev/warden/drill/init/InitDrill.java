package dev.warden.drill.init;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.ConfigException;
import dev.warden.InitSettings;
import dev.warden.WardenConfig;
import dev.warden.drill.DbOptions;
import dev.warden.drill.Figures;
import dev.warden.drill.JsonOutput;
import dev.warden.drill.init.InitFigures.Trial;
import dev.warden.testing.Fault;
import dev.warden.testing.FaultProxy;
import dev.warden.testing.ThrowawayDatabase;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code warden drill init}: per trial, N real JVM processes start against one database at the
 * same instant (each boots, then waits for "GO"), all trying to initialise a fresh epoch (wipe,
 * three Flyway migrations, a seeder writing thousands of rows). With {@code --kill-holder} the
 * process that holds the init lock is killed with SIGKILL at a random point of its
 * initialisation. Afterwards the database itself is asked how many times the epoch was seeded,
 * wiped and completed, and whether the lock is free.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Start many processes at once on one database; prove the initialisation runs exactly once.")
public final class InitDrill implements Callable<Integer> {

    @Option(names = "--workers", defaultValue = "8", description = "Processes per trial (default ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--trials", defaultValue = "20", description = "Trials, each a new epoch (default ${DEFAULT-VALUE}).")
    int trials;

    @Option(names = "--wipe", description = "Wipe the drill's schema at the start of every epoch.")
    boolean wipe;

    @Option(names = "--kill-holder", description = "SIGKILL the lock holder at a random point of its initialisation.")
    boolean killHolder;

    @Option(names = "--cut-holder", description = "Blackhole every connection of the lock holder (through its own fault"
            + " proxy) at a random point of its initialisation: a host cut off or dead with its sockets open.")
    boolean cutHolder;

    @Option(names = "--idle-timeout", defaultValue = "10s", description = "WARDEN_INIT_IDLE_TIMEOUT of the workers:"
            + " a silent holder is taken over after this (default ${DEFAULT-VALUE}).")
    String idleTimeout;

    @Option(names = "--lock", defaultValue = "advisory", description = "advisory or lease (default ${DEFAULT-VALUE}).")
    String lock;

    @Option(names = "--lease-ttl", defaultValue = "3s", description = "Lease TTL with --lock lease (default ${DEFAULT-VALUE}).")
    String leaseTtl;

    @Option(names = "--heartbeat", defaultValue = "500ms", description = "Lease heartbeat with --lock lease (default ${DEFAULT-VALUE}).")
    String heartbeat;

    @Option(names = "--seed-rows", defaultValue = "5000", description = "Rows the seeder writes (default ${DEFAULT-VALUE}).")
    int seedRows;

    @Option(names = "--migration-seconds", defaultValue = "0", description = "Add a migration whose one statement runs"
            + " this long, in a transaction (or, with --concurrent-index, an index build this long); implies --wipe, and"
            + " --kill-holder/--cut-holder then strike during it (default ${DEFAULT-VALUE}: none).")
    int migrationSeconds;

    @Option(names = "--init-timeout", description = "WARDEN_INIT_TIMEOUT of the workers (default: Warden's own, 10m;"
            + " a live holder's migration does not count against it).")
    String initTimeout;

    @Option(names = "--concurrent-index", description = "Add a CREATE INDEX CONCURRENTLY migration (non-transactional)"
            + " of --migration-seconds (20 s when unset); implies --wipe.")
    boolean concurrentIndex;

    @Option(names = "--solo-runs", description = "Lone runs before the trials, for single_worker_init_ms_p50 and"
            + " the window the holder is killed or cut in (default: 3; 1 with a long migration, whose kill window is"
            + " the migration; 0 there leaves the figure out).")
    Integer soloRuns;

    @Mixin
    DbOptions db = new DbOptions();

    @Option(names = "--random-seed", description = "Seed of the random kill points, to repeat a run.")
    Long randomSeed;

    @Mixin
    JsonOutput output = new JsonOutput();

    static final String APP_SCHEMA = "warden_drill";
    static final String META_SCHEMA = "warden_drill_meta";
    static final String AUDIT_SCHEMA = "warden_drill_audit";
    private static final Pattern OWNER_PID = Pattern.compile(":(\\d+)/");
    private static final Pattern HOST_PORT = Pattern.compile("//([^/:,?]+)(?::(\\d+))?");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream progress = System.err;
    private Path logs;
    private String url;
    private Random random;
    private String dbHost = "127.0.0.1";
    private int dbPort;
    /** How long a lock left by a holder that was cut off may stay held before it counts as stuck. */
    private Duration lockFreedWithin;

    @Override
    public Integer call() throws Exception {
        return output.print(execute());
    }

    /** Runs the drill and returns its figures (the JSON object). */
    InitFigures execute() throws Exception {
        if (workers < 1 || workers > 64 || trials < 1 || trials > 1000 || seedRows < 1 || seedRows > 1_000_000) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--workers must be 1 to 64, --trials 1 to 1000, --seed-rows 1 to 1000000");
        }
        if (migrationSeconds < 0 || migrationSeconds > 3600) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--migration-seconds must be 0 to 3600");
        }
        if (concurrentIndex && migrationSeconds == 0) {
            migrationSeconds = 20;
        }
        if (longMigration()) {
            wipe = true; // every trial's epoch runs the long migration again on fresh schemas
        }
        if (cutHolder && killHolder) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--cut-holder and --kill-holder exclude each other");
        }
        int solos = soloRuns != null ? soloRuns : longMigration() ? 1 : 3;
        if (solos < (longMigration() ? 0 : 1) || solos > 100) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--solo-runs must be 1 to 100 (0 to 100 with a long migration)");
        }
        Map<String, String> baseEnv = workerEnv("probe");
        try {
            InitSettings init = WardenConfig.builder().environment(baseEnv).build().init();
            lockFreedWithin = Collections.max(List.of(init.idleTimeout(), init.lock().leaseTtl())).plusSeconds(5);
        } catch (ConfigException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage()
                    .replace("WARDEN_INIT_LOCK", "--lock").replace("WARDEN_INIT_LEASE_TTL", "--lease-ttl")
                    .replace("WARDEN_INIT_HEARTBEAT", "--heartbeat").replace("WARDEN_DB_URL", "--db-url")
                    .replace("WARDEN_INIT_IDLE_TIMEOUT", "--idle-timeout")
                    .replace("WARDEN_INIT_TIMEOUT", "--init-timeout"));
        }
        random = randomSeed == null ? new Random() : new Random(randomSeed);
        logs = Files.createTempDirectory("warden-init-drill");
        ThrowawayDatabase embedded = null;
        try {
            if (db.url() == null) {
                embedded = ThrowawayDatabase.start("warden-init-drill-pg", Map.of());
                url = embedded.jdbcUrl();
                dbPort = embedded.port();
            } else {
                url = db.url();
            }
            String run = Long.toHexString(System.nanoTime() & 0xffffffL);
            if (db.url() != null) {
                Matcher m = HOST_PORT.matcher(db.url());
                dbHost = m.find() ? m.group(1) : "127.0.0.1";
                dbPort = m.group(2) != null ? Integer.parseInt(m.group(2)) : 5432;
            }
            progress.printf("init drill: %d trial(s) x %d worker(s), lock %s, wipe %s, kill holder %s, cut holder %s,"
                    + " logs in %s%n", trials, workers, lock, wipe, killHolder, cutHolder, logs);
            if (longMigration()) {
                progress.printf("long migration: %s of %d s%n", concurrentIndex ? "CREATE INDEX CONCURRENTLY"
                        : "one statement in a transaction", migrationSeconds);
                try (Connection c = connect(); java.sql.Statement st = c.createStatement()) {
                    st.execute("create schema if not exists " + AUDIT_SCHEMA);
                    st.execute("create table if not exists " + AUDIT_SCHEMA + ".migration_run (epoch text not null,"
                            + " kind text not null, pid bigint, at timestamptz not null default clock_timestamp())");
                }
            }
            List<Long> solo = new ArrayList<>();
            List<Long> holding = new ArrayList<>();
            // One lone run is enough to time a long migration; three for short ones.
            for (int i = 1; i <= solos; i++) {
                Trial t = trial(i, "drill-" + run + "-solo-" + i, 1, -1);
                solo.add(t.readiness().allReadyMs());
                holding.add(t.counts().log().holdMs());
            }
            Long soloP50 = solo.isEmpty() ? null : Figures.percentile(solo, 0.5);
            // Without lone runs (a long migration only) the kill window is the migration's, see killHolder.
            long holdP50 = holding.isEmpty() ? 0 : Figures.percentile(holding, 0.5);
            if (soloP50 != null) {
                progress.printf("single worker: READY %d ms after GO, of which %d ms holding the init lock (p50 of %d)%n",
                        soloP50, holdP50, solo.size());
            }
            List<Trial> results = new ArrayList<>();
            for (int t = 1; t <= trials; t++) {
                Trial r = trial(t, "drill-" + run + "-" + t, workers, killHolder || cutHolder ? holdP50 : -1);
                results.add(r);
                progress.printf("trial %d/%d: %d/%d ready in %d ms, initialised by %s; inits %d, wipes %d, seeds %d%s%s%n",
                        t, trials, r.readiness().ready(), r.readiness().expected(), r.readiness().allReadyMs(),
                        r.readiness().initializedBy(), r.initializations(), r.counts().log().wipes(),
                        r.counts().seeded().seeds(), r.lockFree() ? "" : ", LOCK STUCK",
                        r.readiness().failures().isEmpty() ? "" : ", failures: " + r.readiness().failures());
            }
            return InitFigures.of(this, results, soloP50);
        } finally {
            if (embedded != null) {
                embedded.close(); // deletes its data; the workers' logs stay
            }
        }
    }

    private Map<String, String> workerEnv(String epoch) {
        Map<String, String> env = new HashMap<>();
        env.put("WARDEN_DB_URL", db.url() != null ? db.url() : (url != null ? url : "jdbc:postgresql://localhost/x"));
        env.put("WARDEN_DB_USER", db.user());
        env.put("WARDEN_DB_PASSWORD", db.password() == null ? "" : db.password());
        env.put("WARDEN_SCHEMAS", APP_SCHEMA);
        env.put("WARDEN_SCHEMA", META_SCHEMA);
        env.put("WARDEN_MIGRATIONS", longMigration() ? "classpath:db/drill,classpath:db/drill_long" : "classpath:db/drill");
        env.put("DRILL_MIGRATION_SECONDS", String.valueOf(migrationSeconds));
        env.put("DRILL_CONCURRENT_INDEX", String.valueOf(concurrentIndex));
        env.put("WARDEN_INIT_EPOCH", epoch);
        env.put("WARDEN_INIT_WIPE", String.valueOf(wipe));
        env.put("WARDEN_INIT_LOCK", lock);
        env.put("WARDEN_INIT_LEASE_TTL", leaseTtl);
        env.put("WARDEN_INIT_HEARTBEAT", heartbeat);
        if (initTimeout != null) {
            env.put("WARDEN_INIT_TIMEOUT", initTimeout);
        }
        env.put("WARDEN_INIT_IDLE_TIMEOUT", idleTimeout);
        env.put("WARDEN_POOL_MAX_SIZE", "2");
        env.put("WARDEN_APP_NAME", "warden-drill");
        env.put("DRILL_SEED_ROWS", String.valueOf(seedRows));
        return env;
    }

    /**
     * One trial: start {@code n} workers, wait until all booted, say GO to all, optionally kill the
     * holder after a random delay up to {@code killWindowMs}, wait for READY, then count in the database.
     */
    private Trial trial(int index, String epoch, int n, long killWindowMs) throws Exception {
        Map<String, String> env = workerEnv(epoch);
        List<Workers.Worker> ws = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Map<Long, FaultProxy> proxies = new HashMap<>();
        try {
            for (int i = 0; i < n; i++) {
                Map<String, String> own = env;
                FaultProxy proxy = null;
                if (cutHolder && killWindowMs >= 0) {
                    // Each worker reaches the database through a proxy of its own, so that the holder's
                    // connections (and only those) can be cut, old and new alike.
                    proxy = FaultProxy.start(dbHost, dbPort);
                    own = new HashMap<>(env);
                    own.put("WARDEN_DB_URL", url.replaceFirst("//[^/]+/", "//127.0.0.1:" + proxy.port() + "/"));
                }
                Workers.Worker w = Workers.start(own, logs.resolve(epoch + "-worker-" + i + ".log"));
                ws.add(w);
                if (proxy != null) {
                    proxies.put(w.pid(), proxy);
                }
            }
            for (Workers.Worker w : ws) {
                String line = w.await(60_000, "BOOTED");
                if (!line.startsWith("BOOTED")) {
                    throw new IllegalStateException("worker " + w.pid() + " did not boot (" + line + "); see " + w.log());
                }
            }
            long t0 = System.nanoTime();
            for (Workers.Worker w : ws) {
                w.send("GO");
            }
            Kill kill = killWindowMs >= 0 ? killHolder(epoch, ws, killWindowMs, proxies) : null;
            int ready = 0;
            int failed = 0;
            long lastReady = t0;
            String by = "?";
            for (Workers.Worker w : ws) {
                if (kill != null && kill.pid == w.pid()) {
                    continue;
                }
                String line = w.await(180_000 + 3_000L * migrationSeconds, "READY", "FAILED");
                if (line.startsWith("READY")) {
                    ready++;
                    lastReady = Math.max(lastReady, System.nanoTime());
                    Map<?, ?> r = JSON.readValue(line.substring(6), Map.class);
                    if (Boolean.TRUE.equals(r.get("initialized_here"))) {
                        by = "pid " + w.pid();
                    }
                } else {
                    failed++;
                    failures.add("pid " + w.pid() + ": " + line + " (log " + w.log() + ")");
                }
            }
            long allReadyMs = (lastReady - t0) / 1_000_000;
            try (Connection c = connect()) {
                EpochCounts e = EpochCounts.read(c, epoch, longMigration());
                boolean landed = kill != null && e.owner() != null && !e.owner().contains(":" + kill.pid + "/");
                Long takeoverMs = null;
                String what = cutHolder ? "cut off" : "killed";
                if (landed) {
                    takeoverMs = EpochCounts.takeoverMs(c, kill.at, epoch);
                    by = by + " after the holder pid " + kill.pid + " was " + what + " (takeover in " + takeoverMs + " ms)";
                } else if (kill != null) {
                    by = "pid " + kill.pid + ", which finished before the " + (cutHolder ? "cut" : "kill") + " reached it";
                }
                InitFigures.Readiness readiness = new InitFigures.Readiness(n - (kill == null ? 0 : 1), ready, failed,
                        allReadyMs, by, failures);
                InitFigures.Takeover takeover = new InitFigures.Takeover(landed && !cutHolder, cutHolder ? null : takeoverMs,
                        landed && cutHolder, cutHolder ? takeoverMs : null);
                return new Trial(index, epoch, readiness, e, e.seeded().rows() == seedRows, takeover, lockFree());
            }
        } finally {
            ws.forEach(Workers.Worker::stop);
            proxies.values().forEach(FaultProxy::close);
        }
    }

    private record Kill(long pid, Timestamp at) {
    }

    /**
     * Waits for the holder to mark the epoch IN_PROGRESS, waits a random delay, and kills it (or,
     * with --cut-holder, blackholes every connection of it, open and new) if still in progress.
     */
    private Kill killHolder(String epoch, List<Workers.Worker> ws, long windowMs, Map<Long, FaultProxy> proxies)
            throws Exception {
        long delay = (long) (random.nextDouble() * Math.max(1, windowMs * 0.8));
        // Generous: on a loaded machine eight workers took 64 s from GO to the holder's IN_PROGRESS,
        // and the cut then never came (a 10-minute run without its cut).
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        try (Connection c = connect()) {
            String owner = EpochCounts.awaitHolder(c, epoch, deadline);
            if (owner == null) {
                return null;
            }
            if (longMigration()) {
                // Strike during the long migration: once the holder's record names it, after 10-60 % of it.
                owner = EpochCounts.awaitLongMigration(c, epoch, concurrentIndex ? "Concurrent index" : "Long migration",
                        deadline + Duration.ofSeconds(60 + migrationSeconds).toNanos());
                if (owner == null) {
                    return null;
                }
                delay = (long) (migrationSeconds * 1000L * (0.1 + 0.5 * random.nextDouble()));
            }
            Thread.sleep(delay);
            Matcher m = OWNER_PID.matcher(owner);
            if (!m.find()) {
                return null;
            }
            long pid = Long.parseLong(m.group(1));
            Optional<Workers.Worker> holder = ws.stream().filter(w -> w.pid() == pid).findFirst();
            if (holder.isEmpty()) {
                return null;
            }
            if (cutHolder) {
                proxies.get(pid).set(Fault.BLACKHOLE);
            } else {
                holder.get().kill();
                holder.get().process().waitFor();
            }
            try (ResultSet rs = c.createStatement().executeQuery("select clock_timestamp()")) {
                rs.next();
                return new Kill(pid, rs.getTimestamp(1));
            }
        }
    }

    boolean longMigration() {
        return migrationSeconds > 0 || concurrentIndex;
    }

    /**
     * True when the init lock can be taken within {@link #lockFreedWithin}: no process left it held for
     * longer. A holder cut off after its COMPLETED commit reached the server but before its unlock did
     * (the cut strikes at a random point) leaves its session, and the session's advisory lock, until
     * the server ends the silent session after WARDEN_INIT_IDLE_TIMEOUT (a lease expires after its
     * TTL); a lock still held after that, plus 5 s, is stuck.
     */
    private boolean lockFree() throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + lockFreedWithin.toNanos();
        while (!EpochCounts.lockFree(this::connect, lock.equalsIgnoreCase("lease"))) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    private Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        if (db.password() != null && !db.password().isEmpty()) {
            p.setProperty("password", db.password());
        }
        p.setProperty("ApplicationName", "warden-drill-coordinator");
        return DriverManager.getConnection(url, p);
    }
}
