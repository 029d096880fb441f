package dev.warden.pooler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.ConfigException;
import dev.warden.InitSettings;
import dev.warden.Pooler;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.PgBouncer;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 20: Warden behind a real PgBouncer 1.18 in transaction mode, with the URL as a user writes
 * it (no prepareThreshold). Few server connections (pool size 2) so that consecutive transactions of
 * one client run on different server connections, as they do in production.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PgBouncerTransactionModeTest {

    @RegisterExtension
    static final PgBouncerFixture pooler = new PgBouncerFixture("pgbouncer-tx", PgBouncer.Mode.TRANSACTION,
            Map.of("default_pool_size", "2"));

    private static WardenConfig.Builder config(String schema) {
        return WardenConfig.builder().environment(Map.of())
                .dbUrl(pooler.bouncer().jdbcUrl())
                .dbUser(ThrowawayDatabase.USER)
                .pooler(Pooler.TRANSACTION)
                .schemas(schema)
                .wardenSchema("warden_" + schema)
                .statementTimeout(Duration.ofSeconds(5))
                .initLock(InitSettings.LockKind.LEASE)
                .initEpoch("e1")
                .poolMaxSize(6);
    }

    private static Connection direct() throws SQLException {
        return DriverManager.getConnection(pooler.db().jdbcUrl(), ThrowawayDatabase.USER, "");
    }

    /**
     * A bank: transfers between accounts with a ledger row each, from 6 threads for 4 s. Before the
     * fix pgjdbc server-prepared its own COMMIT after 5 uses and a COMMIT could run a ROLLBACK on
     * another server connection: acknowledged transfers vanished and money drifted.
     */
    @Test
    void noAcknowledgedWriteIsLostAndTheBankBalances() throws Exception {
        Warden.Builder b = Warden.builder().config(config("bank").initWipe(true).build());
        b.seeder("accounts-1", ctx -> {
            try (Statement st = ctx.connection().createStatement()) {
                st.execute("create table accounts (id int primary key, balance bigint not null)");
                st.execute("create table ledger (id bigint primary key, src int, dst int, amount int)");
                st.execute("insert into accounts select g, 1000 from generate_series(1, 20) g");
            }
        });
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger failed = new AtomicInteger();
        try (Warden warden = b.build().start()) {
            ExecutorService pool = Executors.newFixedThreadPool(6);
            AtomicInteger ids = new AtomicInteger();
            long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 100_000 && System.nanoTime() < end; i++) {
                        long id = ids.incrementAndGet();
                        int src = ThreadLocalRandom.current().nextInt(1, 21);
                        int dst = src % 20 + 1;
                        int amount = ThreadLocalRandom.current().nextInt(1, 10);
                        try {
                            warden.inTransaction(tx -> {
                                Connection c = tx.connection();
                                // unqualified: the search path set per transaction must find bank.accounts
                                try (PreparedStatement a = c.prepareStatement(
                                        "update accounts set balance = balance + ? where id = ?");
                                     PreparedStatement l = c.prepareStatement("insert into ledger values (?, ?, ?, ?)")) {
                                    a.setInt(1, -amount);
                                    a.setInt(2, src);
                                    a.executeUpdate();
                                    a.setInt(1, amount);
                                    a.setInt(2, dst);
                                    a.executeUpdate();
                                    l.setLong(1, id);
                                    l.setInt(2, src);
                                    l.setInt(3, dst);
                                    l.setInt(4, amount);
                                    l.executeUpdate();
                                }
                                return null;
                            });
                            acknowledged.add(id);
                        } catch (RuntimeException e) {
                            failed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
        }
        assertThat(acknowledged).as("acknowledged transfers").hasSizeGreaterThan(100);
        Set<Long> stored = new java.util.HashSet<>();
        long total;
        try (Connection c = direct(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("select id from bank.ledger")) {
                while (rs.next()) {
                    stored.add(rs.getLong(1));
                }
            }
            try (ResultSet rs = st.executeQuery("select sum(balance) from bank.accounts")) {
                rs.next();
                total = rs.getLong(1);
            }
        }
        Set<Long> lost = new java.util.HashSet<>(acknowledged);
        lost.removeAll(stored);
        // All three at once: without prepareThreshold=0 each of them shows the fault in its own way.
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(lost).as("acknowledged transfers missing from the ledger").isEmpty();
            soft.assertThat(total).as("money in the bank").isEqualTo(20_000L);
            soft.assertThat(failed.get()).as("failed transfers").isZero();
        });
    }

    /** Initialisation through the pooler with the lease lock: several processes' worth of Wardens, one run. */
    @Test
    void initialisationCompletesOnceBehindTheTransactionPooler() throws Exception {
        AtomicInteger seeded = new AtomicInteger();
        List<Warden> wardens = PgBouncerFixture.startTogether(3, () -> {
            Warden.Builder b = Warden.builder().config(config("once").initTimeout(Duration.ofSeconds(60)).build());
            b.seeder("once-1", ctx -> seeded.incrementAndGet());
            return b.build().start();
        });
        try {
            assertThat(seeded.get()).as("seeder runs").isEqualTo(1);
            assertThat(wardens).allSatisfy(w -> assertThat(w.initStatus()).hasValueSatisfying(
                    s -> assertThat(s.epoch()).isEqualTo("e1")));
        } finally {
            wardens.forEach(Warden::close);
        }
    }

    /**
     * The recommended set-up (docs/poolers.md): WARDEN_INIT_DB_URL straight to the server, the advisory
     * lock with it. The initialisation's connections must really go there: the seeder's connection
     * was opened to the server's port, the server names it after the initialisation and sees it come
     * from a port that is none of PgBouncer's server connections (SHOW SERVERS, asked while the seeder
     * runs), while a pooled connection of the same Warden does come from one of them.
     */
    @Test
    void theInitialisationGoesStraightToTheServerWithInitDbUrl() throws Exception {
        AtomicReference<String> initUrl = new AtomicReference<>();
        AtomicReference<String> initName = new AtomicReference<>();
        AtomicInteger initClientPort = new AtomicInteger();
        AtomicReference<Set<Integer>> pgbouncerServerPorts = new AtomicReference<>();
        Warden.Builder b = Warden.builder().config(config("direct").applicationName("initurl")
                .initLock(InitSettings.LockKind.ADVISORY).initDbUrl(pooler.db().jdbcUrl()).build());
        b.seeder("direct-1", ctx -> {
            Connection c = ctx.connection();
            initUrl.set(c.getMetaData().getURL());
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select current_setting('application_name'), inet_client_port()")) {
                rs.next();
                initName.set(rs.getString(1));
                initClientPort.set(rs.getInt(2));
            }
            pgbouncerServerPorts.set(serverPortsOfPgBouncer());
        });
        int pooledClientPort;
        try (Warden warden = b.build().start()) {
            pooledClientPort = warden.inTransaction(tx -> {
                try (Statement st = tx.connection().createStatement();
                     ResultSet rs = st.executeQuery("select inet_client_port()")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertThat(serverPortsOfPgBouncer()).as("PgBouncer's server connections after the start")
                    .contains(pooledClientPort);
        }
        assertThat(initUrl.get()).as("URL of the seeder's connection").contains("127.0.0.1:" + pooler.db().port() + "/")
                .doesNotContain(":" + pooler.bouncer().port() + "/");
        assertThat(initName.get()).as("application_name the server sees").matches("initurl-work-[0-9a-f]+-[0-9]+");
        assertThat(pgbouncerServerPorts.get()).as("PgBouncer's server connections during the seeding")
                .isNotEmpty().doesNotContain(initClientPort.get());
    }

    /** The local ports of PgBouncer's server connections (SHOW SERVERS through psql: the admin console speaks the simple protocol only). */
    private static Set<Integer> serverPortsOfPgBouncer() throws Exception {
        Process p = new ProcessBuilder("psql", "-X", "-A", "-h", "127.0.0.1", "-p", String.valueOf(pooler.bouncer().port()),
                "-U", ThrowawayDatabase.USER, "-d", "pgbouncer", "-c", "SHOW SERVERS").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("psql returned").isTrue();
        assertThat(p.exitValue()).as("psql SHOW SERVERS: " + out).isZero();
        String[] lines = out.split("\n");
        int column = List.of(lines[0].split("\\|")).indexOf("local_port");
        assertThat(column).as("local_port column in " + lines[0]).isNotNegative();
        Set<Integer> ports = new java.util.HashSet<>();
        for (int i = 1; i < lines.length; i++) {
            String[] cells = lines[i].split("\\|");
            if (cells.length > column && cells[column].matches("\\d+")) {
                ports.add(Integer.parseInt(cells[column]));
            }
        }
        return ports;
    }

    /**
     * Issue 22: migrations through a transaction-mode pooler are refused whatever the init lock.
     * Before, with the lease lock, each attempt failed on PgBouncer's "unsupported startup
     * parameter: options" until the epoch was FAILED; with {@code ignore_startup_parameters} the
     * migration ran through the pooler and its {@code SET statement_timeout} reached other clients.
     */
    @Test
    void migrationsThroughATransactionPoolerAreRefusedNamingWardenInitDbUrl() {
        // refused at build(), before anything reaches the pooler or the server
        assertThatThrownBy(() -> config("mig").migrations("classpath:db/poolerset").build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_MIGRATIONS behind a transaction-mode pooler (WARDEN_POOLER=transaction)"
                        + " needs WARDEN_INIT_DB_URL")
                .hasMessageContaining("The lease lock does not change this");
    }

    /**
     * With WARDEN_INIT_DB_URL the migration (and its session setting) runs straight on the server,
     * the pool through PgBouncer; no client of the pooler gets the migration's setting or a lock.
     */
    @Test
    void withWardenInitDbUrlMigrationsRunPastThePoolerAndLeaveNoSessionStateOnIt() throws Exception {
        WardenConfig c = config("past").initLock(InitSettings.LockKind.ADVISORY).initDbUrl(pooler.db().jdbcUrl())
                .migrations("classpath:db/poolerset").build();
        try (Warden warden = Warden.create(c).start()) {
            assertThat(warden.initStatus().orElseThrow().initializedHere()).isTrue();
            long rows = warden.inTransaction(tx -> {
                try (Statement st = tx.connection().createStatement();
                     ResultSet rs = st.executeQuery("select count(*) from migrated")) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
            assertThat(rows).as("the pool, through the pooler, sees the migrated table").isZero();
            for (int i = 0; i < 6; i++) {
                try (Connection pooled = DriverManager.getConnection(pooler.bouncer().jdbcUrl() + "?prepareThreshold=0",
                        ThrowawayDatabase.USER, "");
                     Statement st = pooled.createStatement();
                     ResultSet rs = st.executeQuery("select current_setting('statement_timeout'),"
                             + " (select count(*) from pg_locks where locktype = 'advisory')")) {
                    rs.next();
                    assertThat(rs.getString(1)).as("the migration's SET did not reach the pooler's clients")
                            .isEqualTo("0");
                    assertThat(rs.getLong(2)).as("no advisory lock left").isZero();
                }
            }
        }
    }

    /** The statement timeout and search path Warden uses stay in its transactions: the next client does not get them. */
    @Test
    void noSessionSettingLeaksToAnotherClient() throws Exception {
        try (Warden warden = Warden.create(config("leak").statementTimeout(Duration.ofMillis(1234)).build()).start()) {
            String inside = warden.inTransaction(tx -> {
                try (Statement st = tx.connection().createStatement();
                     ResultSet rs = st.executeQuery("show statement_timeout")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            assertThat(inside).as("statement_timeout inside a Warden transaction").isEqualTo("1234ms");
            for (int i = 0; i < 20; i++) {
                warden.inTransaction(tx -> 1);
            }
            // A plain client through the same pooler, on the same two server connections.
            for (int i = 0; i < 6; i++) {
                try (Connection c = DriverManager.getConnection(pooler.bouncer().jdbcUrl() + "?prepareThreshold=0",
                        ThrowawayDatabase.USER, "");
                     Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("select current_setting('statement_timeout'),"
                             + " current_setting('search_path'), current_setting('idle_session_timeout'),"
                             + " (select count(*) from pg_locks where locktype = 'advisory')")) {
                    rs.next();
                    assertThat(rs.getString(1)).as("statement_timeout of another client").isEqualTo("0");
                    assertThat(rs.getString(2)).as("search_path of another client").doesNotContain("leak");
                    assertThat(rs.getString(3)).as("idle_session_timeout of another client").isEqualTo("0");
                    assertThat(rs.getLong(4)).as("advisory locks held").isZero();
                }
            }
        }
    }

    /** The advisory lock through a transaction pooler is refused with a message naming the way out. */
    @Test
    void theAdvisoryLockThroughATransactionPoolerIsRefused() {
        assertThatThrownBy(() -> config("adv").initLock(InitSettings.LockKind.ADVISORY).initWipe(true).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_INIT_LOCK=advisory cannot be trusted")
                .hasMessageContaining("WARDEN_INIT_DB_URL");
        assertThatThrownBy(() -> config("adv").dbUrl(pooler.bouncer().jdbcUrl() + "?prepareThreshold=5").build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("prepareThreshold=0");
    }

    /** Only a seeder to run (nothing the config can see): the advisory lock is refused at start(). */
    @Test
    void theAdvisoryLockIsRefusedAtStartWhenOnlySeedersNeedIt() {
        Warden.Builder b = Warden.builder().config(config("advseed").initLock(InitSettings.LockKind.ADVISORY)
                .initEpoch("").build());
        b.seeder("s-1", ctx -> { });
        assertThatThrownBy(() -> b.build().start())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_INIT_LOCK=advisory cannot be trusted");
    }

    /** A database that does not exist (3D000) is not waited out for the start-up timeout either. */
    @Test
    void aRefusedLoginIsAConfigurationErrorAtOnce() {
        WardenConfig c = config("nodb").dbUrl(pooler.bouncer().jdbcUrl("no_such_db")).startupTimeout(Duration.ofMinutes(5))
                .build();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Warden.create(c).start())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("refused the login");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("time to fail").isLessThan(Duration.ofSeconds(60));
    }

    /**
     * Without WARDEN_POOLER the statement timeout goes in the start-up packet, which PgBouncer
     * refuses: the start fails at once with PgBouncer's own words, not after the start-up timeout.
     */
    @Test
    void anUnsupportedStartupParameterIsReportedVerbatimAtOnce() {
        WardenConfig c = config("plain").pooler(Pooler.NONE).startupTimeout(Duration.ofMinutes(5)).build();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Warden.create(c).start())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unsupported startup parameter");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("time to fail").isLessThan(Duration.ofSeconds(60));
    }
}
