package dev.warden.init;

import dev.warden.config.InitSettings;
import dev.warden.config.WardenConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.extensibility.MigrationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one epoch's initialisation exactly once across every process that shares the database:
 * <ol>
 *   <li>epoch COMPLETED already? done;</li>
 *   <li>otherwise take the {@link InitLock} (or wait for its holder, polling, with progress), and re-check;</li>
 *   <li>mark the epoch IN_PROGRESS with this lease's fencing token;</li>
 *   <li>wipe the application schemas, if asked and not yet done for this epoch;</li>
 *   <li>migrate with Flyway;</li>
 *   <li>run the seeders and mark the epoch COMPLETED in one transaction that verifies the lease and the token.</li>
 * </ol>
 * A holder that dies leaves the epoch IN_PROGRESS; the next process to take the lock takes over
 * (a committed wipe is not repeated: Flyway resumes where the migrations stopped, and the seed
 * data never committed). A failure marks the epoch FAILED with its error; after
 * {@link InitSettings#attempts()} started initialisations every process gives up.
 */
public final class Initializer {

    private static final Logger log = LoggerFactory.getLogger(Initializer.class);

    /** A seeder and the version of its data; a new version makes a new epoch. */
    public record NamedSeeder(String version, Seeder seeder) {
        public NamedSeeder {
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(seeder, "seeder");
        }
    }

    /** Everything that defines the initialisation. */
    public record Plan(InitSettings settings, List<String> schemas, String wardenSchema, List<NamedSeeder> seeders,
                       ClassLoader classLoader) {
        public Plan {
            Objects.requireNonNull(settings, "settings");
            schemas = List.copyOf(schemas);
            seeders = List.copyOf(seeders);
            Objects.requireNonNull(wardenSchema, "wardenSchema");
            Objects.requireNonNull(classLoader, "classLoader");
        }

        /** True when there is anything to initialise: an epoch, a wipe, migrations or seeders. */
        public boolean needed() {
            return settings.epoch().isPresent() || settings.wipe() || !settings.migrations().isEmpty()
                    || !seeders.isEmpty();
        }
    }

    private record Epoch(String status, String owner, long token, int attempts, boolean wiped, Instant finishedAt,
                         String error) {
    }

    private final Plan plan;
    private final DataSource db;
    private final InitLock lock;
    private final String owner;
    private final Consumer<String> progress;
    private volatile InitStatus status;
    private volatile String epoch;

    /**
     * @param plan     what to do
     * @param db       connections for the initialisation's own work (not the application's pool: long
     *                 migrations must not meet the pool's timeouts)
     * @param lock     the cross-process lock
     * @param owner    this process's name in the records, unique per process
     * @param progress receives a line whenever the initialisation moves on
     */
    public Initializer(Plan plan, DataSource db, InitLock lock, String owner, Consumer<String> progress) {
        this.plan = Objects.requireNonNull(plan, "plan");
        this.db = Objects.requireNonNull(db, "db");
        this.lock = Objects.requireNonNull(lock, "lock");
        this.owner = Objects.requireNonNull(owner, "owner");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /** The latest status; empty before {@link #run()} has named the epoch. */
    public Optional<InitStatus> status() {
        return Optional.ofNullable(status);
    }

    /**
     * Makes sure the epoch is initialised, by this process or another, within
     * {@link InitSettings#timeout()}.
     *
     * @throws InitFailedException the epoch failed {@code attempts} times, or time ran out
     */
    public InitStatus run() {
        long started = System.nanoTime();
        long deadline = started + plan.settings().timeout().toNanos();
        Flyway flyway;
        try {
            flyway = plan.settings().migrations().isEmpty() ? null : flyway();
        } catch (RuntimeException badConfig) {
            throw new InitFailedException("Cannot set up the migrations " + plan.settings().migrations()
                    + " (WARDEN_MIGRATIONS): " + badConfig.getMessage(), badConfig);
        }
        String lastWait = null;
        int otherErrors = 0;
        long pollMs = 25;
        int failedHere = 0;
        while (true) {
            try {
                if (epoch == null) {
                    try (Connection c = db.getConnection()) {
                        InitSchema.ensure(c, plan.wardenSchema());
                    }
                    epoch = plan.settings().epoch().orElseGet(() -> derive(flyway));
                    report("WAITING", null, 0, 0, null, false, false, "checking epoch " + epoch, started);
                }
                Epoch e = read(epoch);
                if (e != null && e.status().equals("COMPLETED")) {
                    return done(e, false, false, started);
                }
                giveUpIfExhausted(e);
                Optional<InitLock.Lease> lease = lock.tryAcquire(owner);
                if (lease.isPresent()) {
                    try (InitLock.Lease held = lease.get()) {
                        InitStatus s = runHolding(held, started);
                        if (s != null) {
                            return s;
                        }
                    } catch (LeaseLostException lost) {
                        log.warn("Initialisation of epoch {} stopped: {}", epoch, lost.getMessage());
                        progress.accept("lost the init lock: " + lost.getMessage());
                    } catch (InitFailedException fatal) {
                        throw fatal;
                    } catch (Exception failure) {
                        if (failure instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
                            Thread.currentThread().interrupt();
                            throw new InitFailedException("Interrupted while initialising epoch " + epoch
                                    + " (Warden is closing); the next process takes over.", failure);
                        }
                        failedHere++;
                        log.error("Initialisation of epoch {} failed: {}", epoch, failure.toString(), failure);
                        progress.accept("initialisation failed: " + failure);
                        sleepUntil(deadline, Math.min(5000, 250L * failedHere));
                    }
                    pollMs = 25;
                    continue;
                }
                String wait = e == null ? "waiting for the init lock (" + lock.describe() + ")"
                        : "waiting for " + e.owner() + " to initialise epoch " + epoch + " (" + e.status().toLowerCase()
                        + ", attempt " + e.attempts() + ")";
                if (!wait.equals(lastWait)) {
                    log.info("{}", wait);
                    lastWait = wait;
                }
                report("WAITING", e == null ? null : e.owner(), e == null ? 0 : e.token(), e == null ? 0 : e.attempts(),
                        null, false, false, wait, started);
            } catch (SQLException | RuntimeException transientError) {
                if (transientError instanceof InitFailedException fatal) {
                    throw fatal;
                }
                // Lost connections are waited out until the deadline; anything else (a bad migration
                // location, a schema raced by a concurrent wipe) gets a few more tries, then ends the start.
                if (dev.warden.tx.ErrorKind.of(transientError) != dev.warden.tx.ErrorKind.CONNECTION && ++otherErrors > 3) {
                    throw new InitFailedException("Initialisation of epoch " + (epoch == null ? "(not yet named)" : epoch)
                            + " failed: " + transientError.getMessage(), transientError);
                }
                String wait = "waiting for the database during initialisation: " + transientError.getMessage();
                if (!wait.equals(lastWait)) {
                    log.warn("{}", wait);
                    lastWait = wait;
                }
                progress.accept(wait);
                if (System.nanoTime() > deadline) {
                    throw new InitFailedException("Initialisation of epoch " + (epoch == null ? "(not yet named)" : epoch)
                            + " did not finish within " + WardenConfig.format(plan.settings().timeout())
                            + " (WARDEN_INIT_TIMEOUT); last error: " + transientError.getMessage(), transientError);
                }
            }
            sleepUntil(deadline, pollMs);
            pollMs = Math.min(250, pollMs * 2);
            if (System.nanoTime() > deadline) {
                Epoch e = readQuietly();
                throw new InitFailedException("Epoch " + epoch + " was not initialised within "
                        + WardenConfig.format(plan.settings().timeout()) + " (WARDEN_INIT_TIMEOUT)"
                        + (e == null ? "" : "; it is " + e.status() + " by " + e.owner() + " after " + e.attempts()
                        + " attempt(s)") + ". Raise WARDEN_INIT_TIMEOUT if initialisation takes this long.", null);
            }
        }
    }

    private void giveUpIfExhausted(Epoch e) {
        if (e != null && !e.status().equals("COMPLETED") && e.attempts() >= plan.settings().attempts()
                && (e.status().equals("FAILED") || !lockFree())) {
            report("FAILED", e.owner(), e.token(), e.attempts(), null, false, false, "gave up", System.nanoTime());
            throw new InitFailedException("Epoch " + epoch + " failed " + e.attempts() + " time(s), the most that"
                    + " WARDEN_INIT_ATTEMPTS (" + plan.settings().attempts() + ") allows; last error: "
                    + (e.error() == null ? "(none recorded: the initialising process died)" : e.error())
                    + ". Fix the cause and deploy a new epoch, or delete the row of epoch '" + epoch + "' from "
                    + plan.wardenSchema() + ".init_epochs to try this one again.", null);
        }
    }

    /** True when nobody holds the lock now (its holder, if any, died). */
    private boolean lockFree() {
        try {
            Optional<InitLock.Lease> probe = lock.tryAcquire(owner);
            probe.ifPresent(InitLock.Lease::close);
            return probe.isPresent();
        } catch (SQLException e) {
            return false;
        }
    }

    /** The holder's run; null when the epoch must be looked at again (e.g. it failed and may be retried). */
    private InitStatus runHolding(InitLock.Lease lease, long started) throws Exception {
        Epoch before = read(epoch);
        if (before != null && before.status().equals("COMPLETED")) {
            return done(before, false, false, started);
        }
        if (before != null && before.attempts() >= plan.settings().attempts()) {
            String error = before.error() != null ? before.error()
                    : "the initialising process " + before.owner() + " died or stalled";
            if (before.status().equals("IN_PROGRESS")) {
                inTx(c -> {
                    lease.verify(c);
                    try (PreparedStatement ps = c.prepareStatement("update " + plan.wardenSchema() + ".init_epochs"
                            + " set status = 'FAILED', finished_at = clock_timestamp(), error = ?"
                            + " where epoch = ? and status = 'IN_PROGRESS'")) {
                        ps.setString(1, error);
                        ps.setString(2, epoch);
                        ps.executeUpdate();
                    }
                    insertEvent(c, lease.token(), "gave-up", error);
                    return null;
                });
            }
            giveUpIfExhausted(new Epoch("FAILED", before.owner(), before.token(), before.attempts(), before.wiped(),
                    null, error));
        }
        boolean takeover = before != null && before.status().equals("IN_PROGRESS");
        long token = lease.token();
        Epoch mine = markStarted(lease, before, takeover);
        log.info("Initialising epoch {} as {} (token {}, attempt {}{})", epoch, owner, token, mine.attempts(),
                takeover ? ", taking over from " + before.owner() : "");
        try {
            boolean wiped = mine.wiped();
            if (plan.settings().wipe() && !mine.wiped()) {
                step(lease, "wiping " + plan.schemas(), mine.attempts(), takeover, started);
                wipe(lease);
                wiped = true;
            }
            if (!plan.settings().migrations().isEmpty()) {
                step(lease, "migrating " + plan.settings().migrations(), mine.attempts(), takeover, started);
                MigrateResult result = flyway().migrate();
                event(token, "migrated", result.migrationsExecuted + " migration(s), schema version "
                        + result.targetSchemaVersion);
            }
            step(lease, plan.seeders().isEmpty() ? "completing" : "seeding", mine.attempts(), takeover, started);
            seedAndComplete(lease, wiped);
        } catch (LeaseLostException lost) {
            throw lost;
        } catch (Exception failure) {
            if (failure instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
                throw failure; // a shutdown, not a failure of the epoch: left IN_PROGRESS for the next holder
            }
            Epoch now = readQuietly();
            if (now != null && now.token() != lease.token()) {
                // Stalled past its lease: the server ended this holder's session and another took over.
                throw new LeaseLostException("Another process (" + now.owner() + ", token "
                        + now.token() + ") took epoch " + epoch + " over from this one (token " + lease.token()
                        + ") while it was stalled; this process's work was rolled back: " + failure.getMessage(), failure);
            }
            markFailed(lease, failure);
            throw failure;
        }
        Epoch after = read(epoch);
        log.info("Epoch {} initialised by this process in {} ms", epoch,
                Duration.ofNanos(System.nanoTime() - started).toMillis());
        return done(after, true, takeover, started);
    }

    private void step(InitLock.Lease lease, String what, int attempts, boolean takeover, long started) {
        if (!lease.held()) {
            throw new LeaseLostException("The init lock of " + owner + " (token " + lease.token() + ") was lost before "
                    + what + ".");
        }
        report("IN_PROGRESS", owner, lease.token(), attempts, null, false, takeover, what, started);
    }

    private Epoch markStarted(InitLock.Lease lease, Epoch before, boolean takeover) throws SQLException {
        return inTx(c -> {
            lease.verify(c);
            try (PreparedStatement ps = c.prepareStatement("insert into " + plan.wardenSchema() + ".init_epochs as e"
                    + " (epoch, status, owner, token, attempts, started_at) values (?, 'IN_PROGRESS', ?, ?, 1, clock_timestamp())"
                    + " on conflict (epoch) do update set status = 'IN_PROGRESS', owner = excluded.owner,"
                    + " token = excluded.token, attempts = e.attempts + 1, started_at = excluded.started_at,"
                    + " finished_at = null, error = null"
                    + " where e.status <> 'COMPLETED' and (e.token is null or e.token < excluded.token)"
                    + " returning attempts, wiped_at is not null")) {
                ps.setString(1, epoch);
                ps.setString(2, owner);
                ps.setLong(3, lease.token());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new LeaseLostException("Epoch " + epoch + " was completed or claimed with a newer token"
                                + " than " + lease.token() + " while " + owner + " took the init lock.");
                    }
                    Epoch e = new Epoch("IN_PROGRESS", owner, lease.token(), rs.getInt(1), rs.getBoolean(2), null, null);
                    insertEvent(c, lease.token(), takeover ? "takeover" : "started", takeover
                            ? "from " + before.owner() + " (token " + before.token() + ")" : "attempt " + e.attempts());
                    return e;
                }
            }
        });
    }

    private void wipe(InitLock.Lease lease) throws SQLException {
        inTx(c -> {
            lease.verify(c);
            try (Statement st = c.createStatement()) {
                for (String schema : plan.schemas()) {
                    st.execute("drop schema if exists " + schema + " cascade");
                    st.execute("create schema " + schema);
                }
            }
            fencedUpdate(c, lease, "update " + plan.wardenSchema() + ".init_epochs set wiped_at = clock_timestamp()"
                    + " where epoch = ? and token = ? and status = 'IN_PROGRESS'");
            insertEvent(c, lease.token(), "wiped", String.join(",", plan.schemas()));
            return null;
        });
        log.info("Wiped schemas {} for epoch {}", plan.schemas(), epoch);
    }

    private void seedAndComplete(InitLock.Lease lease, boolean wiped) throws SQLException {
        inTx(c -> {
            if (plan.settings().lock() == InitSettings.LockKind.LEASE) {
                // A holder paused past its lease must not keep the new holder's wipe waiting on its locks.
                try (Statement st = c.createStatement()) {
                    st.execute("set local idle_in_transaction_session_timeout = "
                            + plan.settings().leaseTtl().toMillis());
                }
            }
            try (Statement st = c.createStatement()) {
                // Seeders see the application schemas first, as the migrations do (Flyway's default schema).
                st.execute("set local search_path to " + String.join(", ", plan.schemas()) + ", public");
            }
            Seeder.Context context = new Seeder.Context() {
                @Override public Connection connection() { return c; }
                @Override public String epoch() { return epoch; }
                @Override public boolean wiped() { return wiped; }
                @Override public void progress(String text) { progress.accept("seeding: " + text); }
            };
            for (NamedSeeder s : plan.seeders()) {
                try {
                    s.seeder().seed(context);
                } catch (SQLException | RuntimeException e) {
                    throw e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InitFailedException("Interrupted while seeder " + s.version() + " ran (Warden is closing)", e);
                } catch (Exception e) {
                    throw new IllegalStateException("Seeder " + s.version() + " failed: " + e.getMessage(), e);
                }
            }
            lease.verify(c);
            fencedUpdate(c, lease, "update " + plan.wardenSchema() + ".init_epochs set status = 'COMPLETED',"
                    + " finished_at = clock_timestamp(), error = null where epoch = ? and token = ? and status = 'IN_PROGRESS'");
            insertEvent(c, lease.token(), "completed", plan.seeders().size() + " seeder(s)");
            return null;
        });
    }

    private void markFailed(InitLock.Lease lease, Exception failure) {
        try {
            inTx(c -> {
                try (PreparedStatement ps = c.prepareStatement("update " + plan.wardenSchema() + ".init_epochs"
                        + " set status = 'FAILED', finished_at = clock_timestamp(), error = ?"
                        + " where epoch = ? and token = ? and status = 'IN_PROGRESS'")) {
                    ps.setString(1, describe(failure));
                    ps.setString(2, epoch);
                    ps.setLong(3, lease.token());
                    ps.executeUpdate();
                }
                insertEvent(c, lease.token(), "failed", describe(failure));
                return null;
            });
        } catch (SQLException | RuntimeException e) {
            log.warn("Could not record the failure of epoch {} (the next holder will take over): {}", epoch, e.getMessage());
        }
    }

    private static String describe(Throwable t) {
        String text = t.getClass().getSimpleName() + ": " + t.getMessage();
        return text.length() > 2000 ? text.substring(0, 2000) : text;
    }

    private void fencedUpdate(Connection c, InitLock.Lease lease, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, epoch);
            ps.setLong(2, lease.token());
            if (ps.executeUpdate() != 1) {
                throw new LeaseLostException("Epoch " + epoch + " is no longer held by token " + lease.token() + " of "
                        + owner + ": another process took it over.");
            }
        }
    }

    private void event(long token, String event, String detail) throws SQLException {
        inTx(c -> {
            insertEvent(c, token, event, detail);
            return null;
        });
    }

    private void insertEvent(Connection c, long token, String event, String detail) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into " + plan.wardenSchema()
                + ".init_log (epoch, token, owner, event, detail) values (?, ?, ?, ?, ?)")) {
            ps.setString(1, epoch);
            ps.setLong(2, token);
            ps.setString(3, owner);
            ps.setString(4, event);
            ps.setString(5, detail);
            ps.executeUpdate();
        }
    }

    private Epoch read(String name) throws SQLException {
        return inTx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select status, owner, token, attempts, wiped_at is not null,"
                    + " finished_at, error from " + plan.wardenSchema() + ".init_epochs where epoch = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    Timestamp finished = rs.getTimestamp(6);
                    return new Epoch(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getInt(4), rs.getBoolean(5),
                            finished == null ? null : finished.toInstant(), rs.getString(7));
                }
            }
        });
    }

    private Epoch readQuietly() {
        try {
            return epoch == null ? null : read(epoch);
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    private interface SqlWork<T> {
        T apply(Connection c) throws SQLException;
    }

    private <T> T inTx(SqlWork<T> work) throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.apply(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }

    private InitStatus done(Epoch e, boolean here, boolean takeover, long started) {
        progress.accept("epoch " + epoch + " initialised by " + (here ? "this process" : e.owner()));
        return report("COMPLETED", e.owner(), e.token(), e.attempts(), e.finishedAt(), here, takeover,
                here ? "initialised here" : "initialised by " + e.owner(), started);
    }

    private InitStatus report(String state, String by, long token, int attempts, Instant finished, boolean here,
                              boolean takeover, String step, long started) {
        InitStatus s = new InitStatus(epoch, state, by, token, attempts, finished, here, takeover, step,
                Duration.ofNanos(Math.max(0, System.nanoTime() - started)));
        status = s;
        if (!state.equals("COMPLETED")) {
            progress.accept(step);
        }
        return s;
    }

    private static void sleepUntil(long deadline, long ms) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        try {
            Thread.sleep(Math.max(1, Math.min(ms, left)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InitFailedException("Interrupted while waiting for the initialisation", e);
        }
    }

    private Flyway flyway() {
        return Flyway.configure(plan.classLoader())
                .dataSource(db)
                .schemas(plan.schemas().toArray(String[]::new))
                .defaultSchema(plan.schemas().getFirst())
                .createSchemas(true)
                .locations(plan.settings().migrations().toArray(String[]::new))
                .failOnMissingLocations(true)
                .load();
    }

    /**
     * The epoch when none is configured: a digest of every migration's version, type and checksum,
     * the seed versions, the application schemas and the wipe flag.
     */
    private String derive(Flyway flyway) {
        List<String> parts = new ArrayList<>();
        if (flyway != null) {
            for (MigrationInfo m : flyway.info().all()) {
                // Only what the migration files say: the same before and after any process migrated.
                // Rows Flyway adds to its history by itself (the marker for a schema it created, a
                // baseline) are not migrations, and counting them would give a late process another epoch.
                MigrationType type = m.getResolvedType();
                if (type == null || type.isSynthetic()) {
                    continue;
                }
                parts.add("migration " + m.getVersion() + " " + type.name() + " " + m.getScript() + " "
                        + m.getResolvedChecksum());
            }
        }
        for (NamedSeeder s : plan.seeders()) {
            parts.add("seed " + s.version());
        }
        parts.add("schemas " + plan.schemas());
        parts.add("wipe " + plan.settings().wipe());
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                sha.update(p.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) '\n');
            }
            return "auto-" + HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
