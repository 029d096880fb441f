package dev.warden.drill.init;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.ConfigException;
import dev.warden.InitLocks;
import dev.warden.InitSettings;
import dev.warden.WardenConfig;
import dev.warden.drill.DbOptions;
import dev.warden.drill.Figures;
import dev.warden.drill.JsonOutput;
import dev.warden.spi.ConnectionFactory;
import dev.warden.spi.InitLock;
import dev.warden.testing.Fault;
import dev.warden.testing.FaultProxy;
import dev.warden.testing.ThrowawayDatabase;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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

    /** What one trial found. */
    record Trial(int index, String epoch, int expected, long allReadyMs, int ready, int failed, long initializations,
                 long wipes, long seeds, long takeovers, boolean killed, Long takeoverMs, boolean rowsOk, boolean lockFree,
                 String initializedBy, long holdMs, List<String> failures, boolean cut, Long takeoverAfterCutMs,
                 long migrationRuns, long reruns, long invalidIndexes) {
    }

    /** The most a cut-off holder may keep the epoch from being taken over (issue 12's bound). */
    static final long TAKEOVER_AFTER_CUT_BOUND_MS = 15_000;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> result = execute();
        return output.print(result, passed(result), () -> summary(result));
    }

    /** True when every target holds (the exit code's rule). */
    private boolean passed(Map<String, Object> result) {
        Object cutMax = result.get("takeover_after_cut_ms_max");
        boolean migrationsOk = !longMigration() || ((long) result.get("migrations_applied_twice") == 0
                && (long) result.get("migrations_missing") == 0 && (long) result.get("invalid_indexes_left") == 0);
        return migrationsOk && (long) result.get("double_initializations") == 0 && (int) result.get("failed_workers") == 0
                && (int) result.get("stuck_locks") == 0 && (boolean) result.get("seeded_rows_ok")
                && (cutMax == null || (long) cutMax <= TAKEOVER_AFTER_CUT_BOUND_MS);
    }

    /** Runs the drill and returns its figures (the JSON object). */
    public Map<String, Object> execute() throws Exception {
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
        Map<String, String> baseEnv = workerEnv("probe");
        try {
            WardenConfig.builder().environment(baseEnv).build();
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
            for (int i = 1; i <= (longMigration() ? 1 : 3); i++) {
                Trial t = trial(i, "drill-" + run + "-solo-" + i, 1, -1);
                solo.add(t.allReadyMs());
                holding.add(t.holdMs());
            }
            long soloP50 = Figures.percentile(solo, 0.5);
            long holdP50 = Figures.percentile(holding, 0.5);
            progress.printf("single worker: READY %d ms after GO, of which %d ms holding the init lock (p50 of %d)%n",
                    soloP50, holdP50, solo.size());
            List<Trial> results = new ArrayList<>();
            for (int t = 1; t <= trials; t++) {
                Trial r = trial(t, "drill-" + run + "-" + t, workers, killHolder || cutHolder ? holdP50 : -1);
                results.add(r);
                progress.printf("trial %d/%d: %d/%d ready in %d ms, initialised by %s; inits %d, wipes %d, seeds %d%s%s%n",
                        t, trials, r.ready(), r.expected(), r.allReadyMs(), r.initializedBy(),
                        r.initializations(), r.wipes(), r.seeds(), r.lockFree() ? "" : ", LOCK STUCK",
                        r.failures().isEmpty() ? "" : ", failures: " + r.failures());
            }
            return figures(results, soloP50);
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
                long inits = count(c, "select count(*) from " + META_SCHEMA + ".init_log where epoch = ? and event = 'completed'", epoch);
                long wipes = count(c, "select count(*) from " + META_SCHEMA + ".init_log where epoch = ? and event = 'wiped'", epoch);
                long takeovers = count(c, "select count(*) from " + META_SCHEMA + ".init_log where epoch = ? and event = 'takeover'", epoch);
                long seeds = count(c, "select count(*) from " + APP_SCHEMA + ".seed_run where epoch = ?", epoch);
                long rows = count(c, "select count(*) from " + APP_SCHEMA + ".item where epoch = ?", epoch);
                String owner = string(c, "select owner from " + META_SCHEMA + ".init_epochs where epoch = ? and status = 'COMPLETED'", epoch);
                boolean landed = kill != null && owner != null && !owner.contains(":" + kill.pid + "/");
                Long takeoverMs = null;
                String what = cutHolder ? "cut off" : "killed";
                if (landed) {
                    takeoverMs = longOrNull(c, "select (extract(epoch from (min(at) - ?::timestamptz)) * 1000)::bigint from "
                            + META_SCHEMA + ".init_log where epoch = ? and event = 'takeover' and at > ?", kill.at, epoch);
                    by = by + " after the holder pid " + kill.pid + " was " + what + " (takeover in " + takeoverMs + " ms)";
                } else if (kill != null) {
                    by = "pid " + kill.pid + ", which finished before the " + (cutHolder ? "cut" : "kill") + " reached it";
                }
                long holdMs = count(c, "select coalesce((extract(epoch from (max(at) - min(at))) * 1000)::bigint, 0) from "
                        + META_SCHEMA + ".init_log where epoch = ?", epoch);
                long runs = 0;
                long reruns = count(c, "select count(*) from " + META_SCHEMA + ".init_log where epoch = ?"
                        + " and event = 'rerun-interrupted'", epoch);
                long invalid = 0;
                if (longMigration()) {
                    runs = count(c, "select count(*) from " + AUDIT_SCHEMA + ".migration_run where epoch = ?", epoch);
                    invalid = count(c, "select count(*) from pg_index i join pg_class ic on ic.oid = i.indexrelid"
                            + " join pg_namespace s on s.oid = ic.relnamespace where not i.indisvalid and s.nspname = '"
                            + APP_SCHEMA + "' and ? is not null", epoch);
                }
                return new Trial(index, epoch, n - (kill == null ? 0 : 1), allReadyMs, ready, failed,
                        Math.max(inits, seeds), wipes, seeds, takeovers, landed && !cutHolder,
                        cutHolder ? null : takeoverMs, rows == seedRows, lockFree(), by, holdMs, failures,
                        landed && cutHolder, cutHolder ? takeoverMs : null, runs, reruns, invalid);
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
        try (Connection c = connect();
             PreparedStatement ps = c.prepareStatement("select owner, clock_timestamp() from " + META_SCHEMA
                     + ".init_epochs where epoch = ? and status = 'IN_PROGRESS'")) {
            ps.setString(1, epoch);
            String owner = null;
            while (owner == null && System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        owner = rs.getString(1);
                    }
                } catch (SQLException notYetCreated) {
                    // the drill's meta schema is created by the first worker
                }
                if (owner == null) {
                    Thread.sleep(2);
                }
            }
            if (owner == null) {
                return null;
            }
            if (longMigration()) {
                // Strike during the long migration: once the holder's record names it, after 10-60 % of it.
                owner = awaitLongMigration(c, epoch, deadline + Duration.ofSeconds(60 + migrationSeconds).toNanos());
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

    private boolean longMigration() {
        return migrationSeconds > 0 || concurrentIndex;
    }

    /** The holder's owner once its record says it runs the long migration, or null (ended first, or time out). */
    private String awaitLongMigration(Connection c, String epoch, long deadline) throws Exception {
        String description = concurrentIndex ? "Concurrent index" : "Long migration";
        try (PreparedStatement ps = c.prepareStatement("select owner from " + META_SCHEMA + ".init_epochs"
                + " where epoch = ? and status = 'IN_PROGRESS' and migration_description = ?")) {
            ps.setString(1, epoch);
            ps.setString(2, description);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return rs.getString(1);
                    }
                }
                Thread.sleep(20);
            }
        }
        return null;
    }

    /** True when the init lock can be taken now: no process left it held. */
    private boolean lockFree() throws SQLException {
        ConnectionFactory factory = this::connect;
        InitLock l = lock.equalsIgnoreCase("lease")
                ? InitLocks.lease(factory, META_SCHEMA, List.of(APP_SCHEMA), Duration.ofSeconds(5), Duration.ofSeconds(1))
                : InitLocks.advisory(factory, META_SCHEMA, List.of(APP_SCHEMA));
        try (l) {
            Optional<InitLock.Lease> lease = l.tryAcquire("warden-drill-check");
            lease.ifPresent(InitLock.Lease::close);
            return lease.isPresent();
        }
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

    private static long count(Connection c, String sql, String epoch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, epoch);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static String string(Connection c, String sql, String epoch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, epoch);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static Long longOrNull(Connection c, String sql, Timestamp at, String epoch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setTimestamp(1, at);
            ps.setString(2, epoch);
            ps.setTimestamp(3, at);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long v = rs.getLong(1);
                return rs.wasNull() ? null : Math.max(0, v);
            }
        }
    }

    private Map<String, Object> figures(List<Trial> ts, long soloP50) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("trials", ts.size());
        f.put("workers", workers);
        f.put("lock", lock.toLowerCase());
        f.put("wipe", wipe);
        f.put("kill_holder", killHolder);
        f.put("cut_holder", cutHolder);
        f.put("idle_timeout", idleTimeout);
        f.put("init_timeout", initTimeout == null ? "default" : initTimeout);
        f.put("max_initializations_per_epoch", ts.stream().mapToLong(Trial::initializations).max().orElse(0));
        f.put("double_initializations", ts.stream().filter(t -> t.initializations() > 1).count());
        f.put("missing_initializations", ts.stream().filter(t -> t.initializations() < 1).count());
        f.put("wipes_per_epoch_max", ts.stream().mapToLong(Trial::wipes).max().orElse(0));
        f.put("seeds_per_epoch_max", ts.stream().mapToLong(Trial::seeds).max().orElse(0));
        f.put("seeded_rows_ok", ts.stream().allMatch(Trial::rowsOk));
        f.put("holder_kills", ts.stream().filter(Trial::killed).count());
        f.put("takeovers", ts.stream().mapToLong(Trial::takeovers).sum());
        List<Long> takeoverMs = ts.stream().map(Trial::takeoverMs).filter(x -> x != null).toList();
        f.put("takeover_ms_p50", takeoverMs.isEmpty() ? null : Figures.percentile(takeoverMs, 0.5));
        f.put("takeover_ms_max", takeoverMs.isEmpty() ? null : takeoverMs.stream().mapToLong(Long::longValue).max().orElse(0));
        if (cutHolder) {
            f.put("holder_cuts", ts.stream().filter(Trial::cut).count());
            List<Long> afterCut = ts.stream().map(Trial::takeoverAfterCutMs).filter(x -> x != null).toList();
            f.put("takeover_after_cut_ms_p50", afterCut.isEmpty() ? null : Figures.percentile(afterCut, 0.5));
            f.put("takeover_after_cut_ms_max", afterCut.isEmpty() ? null
                    : afterCut.stream().mapToLong(Long::longValue).max().orElse(0));
        }
        if (longMigration()) {
            f.put("migration_seconds", migrationSeconds);
            f.put("concurrent_index", concurrentIndex);
            f.put("migration_runs_per_epoch_max", ts.stream().mapToLong(Trial::migrationRuns).max().orElse(0));
            f.put("migrations_applied_twice", ts.stream().filter(t -> t.migrationRuns() > 1).count());
            f.put("migrations_missing", ts.stream().filter(t -> t.migrationRuns() < 1).count());
            f.put("interrupted_reruns", ts.stream().mapToLong(Trial::reruns).sum());
            f.put("invalid_indexes_left", ts.stream().mapToLong(Trial::invalidIndexes).sum());
        }
        f.put("failed_workers", ts.stream().mapToInt(Trial::failed).sum());
        f.put("stuck_locks", (int) ts.stream().filter(t -> !t.lockFree()).count());
        List<Long> ready = ts.stream().map(Trial::allReadyMs).toList();
        f.put("all_ready_ms_p50", Figures.percentile(ready, 0.5));
        f.put("all_ready_ms_max", ready.stream().mapToLong(Long::longValue).max().orElse(0));
        f.put("single_worker_init_ms_p50", soloP50);
        f.put("seed_rows", seedRows);
        f.put("database", db.url() == null ? "embedded PostgreSQL" : WardenConfig.maskUrl(db.url()));
        List<String> failures = ts.stream().flatMap(t -> t.failures().stream()).toList();
        f.put("failures", failures);
        if (lock.equalsIgnoreCase("lease")) {
            f.put("lease_ttl", leaseTtl);
            f.put("heartbeat", heartbeat);
        }
        return f;
    }

    private static String summary(Map<String, Object> f) {
        return """
                init drill: %s trials x %s workers (lock %s, wipe %s, kill holder %s) on %s
                  initialisations per epoch: max %s, double initialisations %s, missing %s
                  wipes per epoch: max %s; seeds per epoch: max %s; seeded rows complete: %s
                  holder kills: %s, takeovers: %s (kill -> takeover p50 %s ms, max %s ms)%s
                  all %s workers READY: p50 %s ms, max %s ms after GO (one worker alone: %s ms)
                  failed workers: %s, stuck locks: %s%s
                """.formatted(f.get("trials"), f.get("workers"), f.get("lock"), f.get("wipe"), f.get("kill_holder"),
                f.get("database"), f.get("max_initializations_per_epoch"), f.get("double_initializations"),
                f.get("missing_initializations"), f.get("wipes_per_epoch_max"), f.get("seeds_per_epoch_max"),
                f.get("seeded_rows_ok"), f.get("holder_kills"), f.get("takeovers"), f.get("takeover_ms_p50"),
                f.get("takeover_ms_max"), f.containsKey("holder_cuts") ? "\n  holder cuts: " + f.get("holder_cuts")
                        + " (cut -> takeover p50 " + f.get("takeover_after_cut_ms_p50") + " ms, max "
                        + f.get("takeover_after_cut_ms_max") + " ms)" : "", f.get("workers"), f.get("all_ready_ms_p50"), f.get("all_ready_ms_max"),
                f.get("single_worker_init_ms_p50"), f.get("failed_workers"), f.get("stuck_locks"),
                f.containsKey("migration_seconds") ? "\n  long migration (" + f.get("migration_seconds") + " s"
                        + (Boolean.TRUE.equals(f.get("concurrent_index")) ? ", CREATE INDEX CONCURRENTLY" : "")
                        + "): applied twice " + f.get("migrations_applied_twice") + ", missing " + f.get("migrations_missing")
                        + ", runs per epoch max " + f.get("migration_runs_per_epoch_max") + ", interrupted and re-run "
                        + f.get("interrupted_reruns") + ", invalid indexes left " + f.get("invalid_indexes_left") : "")
                .stripTrailing();
    }
}
