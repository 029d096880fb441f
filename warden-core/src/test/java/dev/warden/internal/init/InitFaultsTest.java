package dev.warden.internal.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.InitSettings;
import dev.warden.State;
import dev.warden.TestConfig;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.spi.InitLock;
import dev.warden.spi.Seeder;
import dev.warden.testing.Fault;
import dev.warden.testing.FaultProxy;
import dev.warden.testing.SharedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Initialisation under faults, in one JVM against the real embedded PostgreSQL: a holder's lock
 * session that dies, a connection lost while seeding, waiters during the last attempt, waiters on a
 * server out of connections, a close on a silent network. (Across processes: InitProcessesTest.)
 */
class InitFaultsTest {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Duration GENEROUS = Duration.ofSeconds(60);
    private String app;
    private String meta;
    private final List<Warden> wardens = new ArrayList<>();
    private final List<CompletableFuture<?>> starts = new ArrayList<>();
    /** A thread per start: the common pool may have one worker on two cores, and a start blocks it. */
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void names() {
        int n = SEQ.incrementAndGet();
        app = "faultapp_" + n;
        meta = "faultmeta_" + n;
    }

    @AfterEach
    void close() {
        wardens.forEach(Warden::close);
        starts.forEach(f -> f.cancel(true));
        threads.shutdownNow();
        // A client that cut its connection leaves its backend running a pg_sleep until it ends.
        SharedPostgres.exec("select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'fault-%'"
                + " and pid <> pg_backend_pid()");
        SharedPostgres.exec("drop schema if exists " + app + " cascade", "drop schema if exists " + meta + " cascade");
    }

    private WardenConfig.Builder config() {
        return TestConfig.sharedPostgres().poolMaxSize(1).schemas(app).wardenSchema(meta).applicationName("fault-test")
                .initEpoch("e1").initIdleTimeout(Duration.ofSeconds(2));
    }

    private Warden warden(WardenConfig config, Seeder seeder) {
        Warden w = Warden.builder().config(config).seeder("v1", seeder).build();
        wardens.add(w);
        return w;
    }

    private CompletableFuture<Warden> startAsync(Warden w) {
        CompletableFuture<Warden> f = CompletableFuture.supplyAsync(w::start, threads);
        starts.add(f);
        return f;
    }


    private long count(String sql) {
        return SharedPostgres.queryLong(sql);
    }

    /** The backend that holds this test's init lock. */
    private long lockHolderPid() {
        int key = InitSchema.lockKey(meta, InitSchema.lockName(List.of(app)));
        return count("select coalesce(max(pid), 0) from pg_locks where locktype = 'advisory' and granted"
                + " and classid = " + InitSchema.LOCK_SPACE + "::int8::oid and objid = " + key + "::int8::oid");
    }

    @Test
    void aHolderWhoseLockSessionDiesStopsItsWorkAtOnceAndNeverCommitsIt() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        AtomicReference<Throwable> firstRunEnded = new AtomicReference<>();
        CountDownLatch seeding = new CountDownLatch(1);
        Warden w = warden(config().build(), ctx -> {
            if (runs.incrementAndGet() == 1) {
                try (Statement st = ctx.connection().createStatement()) {
                    st.execute("insert into seed_marker values ('first run')");
                    seeding.countDown();
                    st.execute("select pg_sleep(120)"); // far longer than the test may take
                } catch (SQLException e) {
                    firstRunEnded.set(e);
                    throw e;
                }
            } else {
                try (Statement st = ctx.connection().createStatement()) {
                    st.execute("insert into seed_marker values ('second run')");
                }
            }
        });
        SharedPostgres.exec("create schema " + app, "create table " + app + ".seed_marker (v text)");
        CompletableFuture<Warden> start = startAsync(w);
        assertThat(seeding.await(60, TimeUnit.SECONDS)).isTrue();
        long pid = lockHolderPid();
        assertThat(pid).as("the holder's lock session").isPositive();
        // The server ends the lock session (as it does for a dead or cut-off client); the process lives on.
        SharedPostgres.exec("select pg_terminate_backend(" + pid + ")");
        // The heartbeat finds the session dead and cuts the seeding at once: not after its 120 s statement.
        await().atMost(GENEROUS).until(() -> firstRunEnded.get() != null);
        assertThat(start.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        assertThat(runs).hasValue(2);
        assertThat(count("select count(*) from " + app + ".seed_marker where v = 'first run'"))
                .as("the run that lost its lock never committed").isZero();
        assertThat(count("select count(*) from " + app + ".seed_marker")).isEqualTo(1);
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'takeover'")).isEqualTo(1);
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'failed'")).isZero();
    }

    /**
     * The server does not see a holder's work cut while a statement runs (nor count a session idle
     * in the middle of a batch): the earlier holder's seeding stays on the server with the row it
     * wrote, and the next holder's insert of the same key would wait for it (here 600 s). The next
     * holder ends it before it works.
     */
    @Test
    void theNextHolderEndsTheWorkAnEarlierHolderLeftRunningOnTheServer() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch seeding = new CountDownLatch(1);
        AtomicInteger firstSeedPid = new AtomicInteger();
        Warden w = warden(config().build(), ctx -> {
            try (Statement st = ctx.connection().createStatement()) {
                st.execute("insert into seed_marker values ('the one row')");
                if (runs.incrementAndGet() == 1) {
                    firstSeedPid.set(SharedPostgres.backendPid(ctx.connection()));
                    seeding.countDown();
                    st.execute("select pg_sleep(600)");
                }
            }
        });
        SharedPostgres.exec("create schema " + app, "create table " + app + ".seed_marker (v text primary key)");
        CompletableFuture<Warden> start = startAsync(w);
        assertThat(seeding.await(60, TimeUnit.SECONDS)).isTrue();
        SharedPostgres.exec("select pg_terminate_backend(" + lockHolderPid() + ")");
        assertThat(start.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        assertThat(runs).hasValue(2);
        assertThat(count("select count(*) from pg_stat_activity where pid = " + firstSeedPid.get()))
                .as("the first holder's seeding was ended on the server").isZero();
        assertThat(count("select count(*) from " + app + ".seed_marker")).isEqualTo(1);
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'ended-earlier-work'")).isEqualTo(1);
    }

    @Test
    void aConnectionLostWhileSeedingIsWaitedOutAndNotCountedAsAnAttempt() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch seeding = new CountDownLatch(1);
        CountDownLatch killed = new CountDownLatch(1);
        AtomicInteger seedPid = new AtomicInteger();
        Warden w = warden(config().initAttempts(1).build(), ctx -> {
            if (runs.incrementAndGet() == 1) {
                seedPid.set(SharedPostgres.backendPid(ctx.connection()));
                seeding.countDown();
                killed.await(60, TimeUnit.SECONDS);
                try (Statement st = ctx.connection().createStatement()) {
                    st.execute("select 1"); // the connection is gone: 57P01 / I/O error
                }
            }
        });
        CompletableFuture<Warden> start = startAsync(w);
        assertThat(seeding.await(60, TimeUnit.SECONDS)).isTrue();
        SharedPostgres.exec("select pg_terminate_backend(" + seedPid.get() + ")");
        killed.countDown();
        // With WARDEN_INIT_ATTEMPTS=1 a counted failure would end the start with FAILED.
        assertThat(start.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        assertThat(runs).hasValue(2);
        assertThat(count("select failures from " + meta + ".init_epochs")).isZero();
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'failed'")).isZero();
    }

    @Test
    void aWaiterDoesNotGiveUpWhileTheLastAttemptRuns() throws Exception {
        CountDownLatch seeding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        Seeder slow = ctx -> {
            runs.incrementAndGet();
            seeding.countDown();
            release.await(60, TimeUnit.SECONDS);
        };
        // WARDEN_INIT_ATTEMPTS=1: the holder's attempt is the last one.
        WardenConfig cfg = config().initAttempts(1).initIdleTimeout(Duration.ofSeconds(60)).build();
        Warden holder = warden(cfg, slow);
        CompletableFuture<Warden> first = startAsync(holder);
        assertThat(seeding.await(60, TimeUnit.SECONDS)).isTrue();
        Warden waiter = warden(cfg, slow);
        CompletableFuture<Warden> second = startAsync(waiter);
        await().atMost(GENEROUS).until(() -> second.isDone()
                || waiter.lifecycle().progress().contains("waiting for " + holder.owner()));
        assertThat(second).as("still waiting for the live holder, not given up").isNotDone();
        release.countDown();
        assertThat(first.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        Warden ready = second.get(GENEROUS.toSeconds(), TimeUnit.SECONDS);
        assertThat(ready.initStatus().orElseThrow().initializedHere()).isFalse();
        assertThat(runs).hasValue(1);
    }

    /** The backends of one application's initialisation sessions. */
    private Set<Long> initBackends(String applicationName) throws SQLException {
        Set<Long> pids = new HashSet<>();
        try (Connection c = SharedPostgres.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select pid from pg_stat_activity where application_name = '"
                     + applicationName + "-init'")) {
            while (rs.next()) {
                pids.add(rs.getLong(1));
            }
        }
        return pids;
    }

    @Test
    void waitersPollThroughOneKeptSessionNotANewConnectionPerPoll() throws Exception {
        CountDownLatch seeding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Seeder slow = ctx -> {
            seeding.countDown();
            release.await(60, TimeUnit.SECONDS);
        };
        WardenConfig cfg = config().initIdleTimeout(Duration.ofSeconds(60)).build();
        Warden holder = warden(cfg, slow);
        CompletableFuture<Warden> first = startAsync(holder);
        assertThat(seeding.await(60, TimeUnit.SECONDS)).isTrue();
        Warden waiter = warden(config().applicationName("fault-waiter").initIdleTimeout(Duration.ofSeconds(60)).build(),
                slow);
        CompletableFuture<Warden> second = startAsync(waiter);
        await().atMost(GENEROUS).until(() -> waiter.lifecycle().progress().contains("waiting for " + holder.owner()));
        Set<Long> sessions = initBackends("fault-waiter");
        assertThat(sessions).as("the kept session and the lock's spare").hasSizeBetween(1, 2);
        // Polls every 250 ms at most; for 2 s the waiter's sessions stay the same backends.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                .until(() -> initBackends("fault-waiter").equals(sessions));
        release.countDown();
        assertThat(first.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        assertThat(second.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
    }

    @Test
    void aWaiterRefusedWith53300KeepsWaitingAndAnOrdinaryRoleCanSetTheSessionSettings() throws Exception {
        String role = "init_limited_" + SEQ.incrementAndGet();
        CountDownLatch seeding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Seeder slow = ctx -> {
            seeding.countDown();
            release.await(60, TimeUnit.SECONDS);
        };
        try {
            Warden holder = warden(config().initIdleTimeout(Duration.ofSeconds(60)).build(), slow);
            CompletableFuture<Warden> first = startAsync(holder);
            assertThat(seeding.await(60, TimeUnit.SECONDS)).isTrue();
            // An ordinary role with room for its pool (1) and one initialisation session: the
            // lock's session is refused with 53300 (too many connections for role).
            SharedPostgres.exec("create role " + role + " login password 'pw' connection limit 2",
                    "grant usage on schema " + meta + " to " + role,
                    "grant create on database postgres to " + role,
                    "grant create on schema " + meta + " to " + role,
                    "grant all on all tables in schema " + meta + " to " + role,
                    "grant all on all sequences in schema " + meta + " to " + role);
            Warden waiter = warden(config().dbUser(role).dbPassword("pw").applicationName("fault-limited")
                    .initIdleTimeout(Duration.ofSeconds(60)).build(), slow);
            CompletableFuture<Warden> second = startAsync(waiter);
            await().atMost(GENEROUS).until(() -> second.isDone()
                    || waiter.lifecycle().progress().contains("too many connections"));
            assertThat(second).as("53300 is waited out, not an error that ends the start").isNotDone();
            release.countDown();
            assertThat(first.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
            assertThat(second.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
            waiter.close();

            // The settings the initialisation relies on are open to an ordinary role.
            InitSettings settings = config().initIdleTimeout(Duration.ofSeconds(8)).build().init();
            try (InitConnections connections = new InitConnections(SharedPostgres.url(), role,
                    dev.warden.Secret.of("pw"), "fault-role", Duration.ofSeconds(5), settings);
                 InitLock lock = new AdvisoryInitLock(connections::session, meta, "role-check", Duration.ofSeconds(8));
                 Connection work = connections.work(); Statement st = work.createStatement()) {
                assertThat(show(st, "idle_in_transaction_session_timeout")).isEqualTo("8s");
                assertThat(show(st, "tcp_user_timeout")).isIn("8s", "8000");
                assertThat(show(st, "tcp_keepalives_idle")).isIn("2s", "2");
                try (InitLock.Lease lease = lock.tryAcquire("role-check").orElseThrow()) {
                    long lockPid = count("select pid from pg_locks where locktype = 'advisory' and granted and objid = "
                            + InitSchema.lockKey(meta, "role-check") + "::int8::oid");
                    assertThat(count("select count(*) from pg_stat_activity where pid = " + lockPid
                            + " and usename = '" + role + "'")).isEqualTo(1);
                    assertThat(lease.held()).isTrue();
                }
            }
        } finally {
            wardens.forEach(Warden::close);
            wardens.clear();
            SharedPostgres.exec("drop schema if exists " + meta + " cascade", "drop schema if exists " + app + " cascade",
                    "drop owned by " + role, "drop role if exists " + role);
        }
    }

    private static String show(Statement st, String setting) throws SQLException {
        try (ResultSet rs = st.executeQuery("show " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void closeDoesNotWaitForASocketTimeoutWhenTheNetworkGoesSilent() throws Exception {
        CountDownLatch seeding = new CountDownLatch(1);
        try (FaultProxy proxy = FaultProxy.start(SharedPostgres.get().port())) {
            Warden w = warden(config().dbUrl(proxy.jdbcUrl("postgres")).initIdleTimeout(Duration.ofSeconds(60))
                    .initTimeout(Duration.ofMinutes(10)).build(), ctx -> {
                        seeding.countDown();
                        try (Statement st = ctx.connection().createStatement()) {
                            st.execute("select pg_sleep(120)");
                        }
                    });
            CompletableFuture<Warden> start = startAsync(w);
            assertThat(seeding.await(60, TimeUnit.SECONDS)).isTrue();
            proxy.set(Fault.BLACKHOLE);
            // Work connections keep a long socket timeout (a migration may run long); close() cuts them.
            CompletableFuture<Void> closing = CompletableFuture.runAsync(w::close, threads);
            assertThat(closing).succeedsWithin(Duration.ofSeconds(30));
            assertThat(w.state()).isEqualTo(State.STOPPED);
            assertThat(start).failsWithin(Duration.ofSeconds(30));
        }
    }
}
