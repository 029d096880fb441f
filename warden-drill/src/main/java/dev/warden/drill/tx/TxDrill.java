package dev.warden.drill.tx;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.ErrorKind;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.WardenException;
import dev.warden.drill.DbOptions;
import dev.warden.drill.Figures;
import dev.warden.drill.JsonOutput;
import dev.warden.testing.ThrowawayDatabase;
import dev.warden.tx.Isolation;
import dev.warden.tx.Tx;
import dev.warden.tx.TxStats;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code warden drill tx}: money transfers between a few accounts from many threads, through
 * Warden, while the drill breaks them on purpose: backends are killed with
 * {@code pg_terminate_backend} (mid-statement, mid-transaction, during COMMIT), some transfers
 * throw after the debit and before the credit, and the accounts are few enough that serialization
 * failures and deadlocks are common. Afterwards the database is checked against what each caller
 * was told: every acknowledged transfer is in the ledger exactly once, no failed transfer left a
 * trace, no money appeared or vanished, and every account's balance equals its ledger.
 */
@Command(name = "tx", mixinStandardHelpOptions = true,
        description = "Transfers under killed backends, conflicts, deadlocks and failing code; verify nothing half-commits.")
public final class TxDrill implements Callable<Integer> {

    static final long OPENING_BALANCE = 1_000_000;

    @Option(names = "--seconds", defaultValue = "20", description = "How long transfers run (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--threads", defaultValue = "8", description = "Concurrent transfer threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--accounts", defaultValue = "10", description = "Accounts; fewer means more conflicts (default ${DEFAULT-VALUE}).")
    int accounts;

    @Option(names = "--kill-every-ms", defaultValue = "200",
            description = "Terminate one busy Warden backend this often; 0 = never (default ${DEFAULT-VALUE}).")
    long killEveryMs;

    @Option(names = "--fail-rate", defaultValue = "0.05",
            description = "Share of transfers whose code throws between debit and credit (default ${DEFAULT-VALUE}).")
    double failRate;

    @Option(names = "--isolation", defaultValue = "SERIALIZABLE",
            description = "READ_COMMITTED, REPEATABLE_READ or SERIALIZABLE (default ${DEFAULT-VALUE}).")
    Isolation isolation;

    @Option(names = "--verify-commit",
            description = "Transfers use verifyCommit(): a COMMIT lost with its backend is resolved with pg_xact_status;"
                    + " then no caller may be told the outcome is unknown.")
    boolean verifyCommit;

    /** With {@code --db-url}, the drill creates and drops its own tables warden_drill_account and warden_drill_transfer. */
    @Mixin
    DbOptions db = new DbOptions();

    @Mixin
    JsonOutput output = new JsonOutput();

    @Spec
    CommandSpec spec;

    private static final String APP = "warden-tx-drill";
    private static final String QUIET_KEY = "org.slf4j.simpleLogger.log.com.zaxxer.hikari.pool.ProxyConnection";

    /** The application's own failure, thrown between debit and credit. */
    static final class InjectedFailure extends RuntimeException {
        InjectedFailure() {
            super("drill: the transfer's code failed between the debit and the credit", null, false, false);
        }
    }

    /** What each caller was told about its transfer. */
    enum Outcome { COMMITTED, FAILED, INJECTED, UNKNOWN }

    private final Map<Long, Outcome> outcomes = new ConcurrentHashMap<>();
    private final Map<ErrorKind, LongAdder> failedByKind = new ConcurrentHashMap<>();
    private final Map<ErrorKind, String> failureExamples = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> unclassified = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Long> committedNanos = new ConcurrentLinkedQueue<>();
    private final AtomicLong nextId = new AtomicLong();
    private final LongAdder kills = new LongAdder();
    private long deadlocksBefore;

    @Override
    public Integer call() throws Exception {
        return output.print(execute());
    }

    /** Runs the drill and returns its figures. */
    TxFigures execute() throws Exception {
        if (seconds < 1 || seconds > 3600 || threads < 1 || threads > 256 || accounts < 2 || accounts > 1_000_000
                || killEveryMs < 0 || (killEveryMs > 0 && killEveryMs < 10) || !(failRate >= 0 && failRate <= 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--seconds must be 1 to 3600, --threads 1 to 256, --accounts 2 to 1000000,"
                            + " --kill-every-ms 0 (never) or at least 10, --fail-rate from 0 to 1");
        }
        // Killing backends is the point here: one HikariCP warning with a stack trace per kill would bury the summary.
        if (System.getProperty(QUIET_KEY) == null) {
            System.setProperty(QUIET_KEY, "error");
        }
        if (db.url() != null) {
            return run(db.url(), db.user(), db.password());
        }
        try (ThrowawayDatabase server = ThrowawayDatabase.start("warden-tx-drill", Map.of())) {
            return run(server.jdbcUrl(), "postgres", "");
        }
    }

    private TxFigures run(String url, String user, String password) throws Exception {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement()) {
            st.execute("drop table if exists warden_drill_transfer, warden_drill_account");
            st.execute("create table warden_drill_account (id int primary key, balance bigint not null check (balance >= 0))");
            // no unique key on purpose: a transfer applied twice shows as two rows
            st.execute("create table warden_drill_transfer (transfer_id bigint not null, from_id int not null,"
                    + " to_id int not null, amount bigint not null)");
            st.execute("insert into warden_drill_account select g, " + OPENING_BALANCE + " from generate_series(1, "
                    + accounts + ") g");
            deadlocksBefore = serverDeadlocks(st);
        }
        WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(url).dbUser(user).dbPassword(password)
                .poolMaxSize(threads + 1).isolation(isolation).applicationName(APP).build();
        TxStats.Snapshot stats;
        long started = System.nanoTime();
        try (Warden warden = Warden.create(cfg).start()) {
            AtomicBoolean running = new AtomicBoolean(true);
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                long seed = i * 0x9E3779B97F4A7C15L ^ System.nanoTime();
                workers.add(Thread.ofPlatform().name("drill-transfer-" + i)
                        .start(() -> transferLoop(warden, running, new SplittableRandom(seed))));
            }
            Thread killer = killEveryMs == 0 ? null
                    : Thread.ofPlatform().daemon().name("drill-killer").start(() -> killLoop(url, user, password, running));
            long end = started + Duration.ofSeconds(seconds).toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(Math.max(1, Math.min(1000, (end - System.nanoTime()) / 1_000_000)));
                if (!output.json()) {
                    System.err.printf("tx drill: %d s, %d transfers%n", (System.nanoTime() - started) / 1_000_000_000,
                            outcomes.size());
                }
            }
            running.set(false);
            if (killer != null) {
                killer.join(Duration.ofSeconds(10));
            }
            for (Thread t : workers) {
                if (!t.join(Duration.ofSeconds(120))) {
                    throw new IllegalStateException(t.getName() + " did not finish within 120 s of the end of the drill");
                }
            }
            stats = warden.health().transactions();
        }
        return verify(url, user, password, stats);
    }

    private void transferLoop(Warden warden, AtomicBoolean running, SplittableRandom random) {
        while (running.get()) {
            long id = nextId.incrementAndGet();
            int from = 1 + random.nextInt(accounts);
            int to = 1 + (from + random.nextInt(accounts - 1)) % accounts; // never from itself
            long amount = 1 + random.nextInt(100);
            boolean inject = random.nextDouble() < failRate;
            long t0 = System.nanoTime();
            try {
                warden.transaction().label("drill-transfer").verifyCommit(verifyCommit).run(tx -> transfer(tx, id, from, to, amount, inject));
                outcomes.put(id, Outcome.COMMITTED);
                committedNanos.add(System.nanoTime() - t0);
            } catch (InjectedFailure e) {
                outcomes.put(id, Outcome.INJECTED);
            } catch (CommitOutcomeUnknownException e) {
                outcomes.put(id, Outcome.UNKNOWN);
            } catch (WardenException e) {
                outcomes.put(id, Outcome.FAILED);
                failedByKind.computeIfAbsent(e.kind(), k -> new LongAdder()).increment();
                failureExamples.putIfAbsent(e.kind(), String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            } catch (RuntimeException e) {
                outcomes.put(id, Outcome.FAILED);
                unclassified.add(e.toString());
            }
        }
    }

    /**
     * Read, debit, (maybe fail), credit, ledger row: all or nothing. The two updates take their row
     * locks in the order of the transfer, so two opposite transfers can deadlock.
     */
    private static void transfer(Tx tx, long id, int from, int to, long wanted, boolean inject) throws SQLException {
        Connection c = tx.connection();
        long amount;
        try (PreparedStatement ps = c.prepareStatement("select balance from warden_drill_account where id = ?")) {
            ps.setInt(1, from);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                amount = Math.min(rs.getLong(1), wanted); // never overdraw; a transfer of 0 is still recorded
            }
        }
        try (PreparedStatement ps = c.prepareStatement("update warden_drill_account set balance = balance + ? where id = ?")) {
            ps.setLong(1, -amount);
            ps.setInt(2, from);
            ps.executeUpdate();
            if (inject) {
                throw new InjectedFailure();
            }
            ps.setLong(1, amount);
            ps.setInt(2, to);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("insert into warden_drill_transfer values (?, ?, ?, ?)")) {
            ps.setLong(1, id);
            ps.setInt(2, from);
            ps.setInt(3, to);
            ps.setLong(4, amount);
            ps.executeUpdate();
        }
    }

    private void killLoop(String url, String user, String password, AtomicBoolean running) {
        String sql = "select pg_terminate_backend(pid) from pg_stat_activity where application_name = ?"
                + " and pid <> pg_backend_pid() and state in ('active', 'idle in transaction') order by random() limit 1";
        while (running.get()) {
            try (Connection c = DriverManager.getConnection(url, user, password);
                 PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, APP);
                while (running.get()) {
                    Thread.sleep(killEveryMs);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next() && rs.getBoolean(1)) {
                            kills.increment();
                        }
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (SQLException e) {
                System.err.println("tx drill: the killer's own connection failed, reconnecting: " + e.getMessage());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    TxFigures verify(String url, String user, String password, TxStats.Snapshot stats) throws SQLException {
        Map<Long, Integer> ledger = new HashMap<>();
        long balanceSum;
        long mismatched;
        long deadlocks;
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("select transfer_id from warden_drill_transfer")) {
                while (rs.next()) {
                    ledger.merge(rs.getLong(1), 1, Integer::sum);
                }
            }
            deadlocks = serverDeadlocks(st) - deadlocksBefore;
            try (ResultSet rs = st.executeQuery("select sum(balance) from warden_drill_account")) {
                rs.next();
                balanceSum = rs.getLong(1);
            }
            // every account's balance must be its opening balance plus what the ledger moved in and out
            try (ResultSet rs = st.executeQuery("""
                    select count(*) from warden_drill_account a
                    where a.balance <> %d
                      + coalesce((select sum(amount) from warden_drill_transfer t where t.to_id = a.id), 0)
                      - coalesce((select sum(amount) from warden_drill_transfer t where t.from_id = a.id), 0)
                    """.formatted(OPENING_BALANCE))) {
                rs.next();
                mismatched = rs.getLong(1);
            }
        }
        Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
        long lost = 0;
        long half = 0;
        long unknownApplied = 0;
        for (Map.Entry<Long, Outcome> e : outcomes.entrySet()) {
            counts.merge(e.getValue(), 1L, Long::sum);
            int rows = ledger.getOrDefault(e.getKey(), 0);
            switch (e.getValue()) {
                case COMMITTED -> lost += rows == 0 ? 1 : 0;
                case FAILED, INJECTED -> half += rows > 0 ? 1 : 0;
                case UNKNOWN -> unknownApplied += rows > 0 ? 1 : 0;
            }
        }
        long doubles = ledger.values().stream().filter(n -> n > 1).count();
        long strangers = ledger.keySet().stream().filter(id -> !outcomes.containsKey(id)).count();
        long drift = balanceSum - accounts * OPENING_BALANCE;

        Map<String, Long> byKind = new LinkedHashMap<>();
        for (ErrorKind k : ErrorKind.values()) {
            LongAdder n = failedByKind.get(k);
            if (n != null) {
                byKind.put(k.name(), n.sum());
            }
        }
        Map<String, String> examples = new LinkedHashMap<>();
        failureExamples.forEach((k, m) -> examples.put(k.name(), m));
        return TxFigures.of(
                new TxFigures.Run(seconds, threads, accounts, isolation, killEveryMs, failRate),
                new TxFigures.Told(outcomes.size(), counts.getOrDefault(Outcome.COMMITTED, 0L),
                        counts.getOrDefault(Outcome.FAILED, 0L), byKind, examples,
                        counts.getOrDefault(Outcome.INJECTED, 0L)),
                new TxFigures.Unknown(counts.getOrDefault(Outcome.UNKNOWN, 0L), unknownApplied, verifyCommit,
                        stats.commitResolved()),
                new TxFigures.Engine(stats.retries(), kills.sum(), deadlocks,
                        Figures.millis(Figures.percentile(committedNanos, 0.50)),
                        Figures.millis(Figures.percentile(committedNanos, 0.99))),
                new TxFigures.Check(lost, half, doubles, strangers, drift, mismatched),
                new TxFigures.Unclassified(unclassified.size(),
                        unclassified.isEmpty() ? null : unclassified.stream().distinct().limit(5).toList()));
    }

    /** Deadlocks the server has detected in this database (pg_stat_database; the statistics lag by up to a second). */
    private static long serverDeadlocks(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("select deadlocks from pg_stat_database where datname = current_database()")) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }
}
