package dev.warden.internal.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.HealthReport;
import dev.warden.InitFailedException;
import dev.warden.InitSettings;
import dev.warden.InitStatus;
import dev.warden.State;
import dev.warden.TestConfig;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.WardenException;
import dev.warden.spi.Seeder;
import dev.warden.testing.SharedPostgres;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Initialisation in one JVM against the real embedded PostgreSQL: epochs, wipe, migrations,
 * seeders, failures and single-flight. (Many processes: InitProcessesTest in warden-drill.)
 */
class InitializerTest {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private String app;
    private String meta;
    private final List<Warden> wardens = new ArrayList<>();

    @BeforeEach
    void names() {
        int n = SEQ.incrementAndGet();
        app = "initapp_" + n;
        meta = "initmeta_" + n;
    }

    @AfterEach
    void close() {
        wardens.forEach(Warden::close);
        SharedPostgres.exec("drop schema if exists " + app + " cascade", "drop schema if exists " + meta + " cascade");
    }

    private WardenConfig.Builder config() {
        return TestConfig.sharedPostgres().poolMaxSize(2).schemas(app).wardenSchema(meta)
                .migrations("classpath:db/inittest").applicationName("init-test");
    }

    /** A seeder that writes 100 items and one seed_run row naming the epoch and the owner. */
    private static Seeder items(AtomicInteger runs) {
        return ctx -> {
            runs.incrementAndGet();
            try (PreparedStatement ps = ctx.connection().prepareStatement("insert into item (id, name) values (?, ?)")) {
                for (int i = 1; i <= 100; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "item " + i);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = ctx.connection().prepareStatement("insert into seed_run (epoch, owner) values (?, 'x')")) {
                ps.setString(1, ctx.epoch());
                ps.executeUpdate();
            }
            ctx.progress("100 items");
        };
    }

    private Warden warden(WardenConfig config, String seedVersion, Seeder seeder) {
        Warden w = Warden.builder().config(config).seeder(seedVersion, seeder).build();
        wardens.add(w);
        return w;
    }

    private long count(String sql) {
        return SharedPostgres.queryLong(sql);
    }

    @Test
    void firstStartInitialisesAndASecondProcessWithTheSameEpochDoesNot() {
        AtomicInteger runs = new AtomicInteger();
        WardenConfig cfg = config().initWipe(true).build();
        Warden first = warden(cfg, "v1", items(runs)).start();
        InitStatus s1 = first.initStatus().orElseThrow();
        assertThat(s1.initializedHere()).isTrue();
        assertThat(s1.status()).isEqualTo(InitStatus.Status.COMPLETED);
        assertThat(s1.epoch()).startsWith("auto-");
        assertThat(count("select count(*) from " + app + ".item")).isEqualTo(100);

        Warden second = warden(cfg, "v1", items(runs)).start();
        InitStatus s2 = second.initStatus().orElseThrow();
        assertThat(s2.initializedHere()).isFalse();
        assertThat(s2.owner().name()).isEqualTo(first.owner());
        assertThat(s2.epoch()).isEqualTo(s1.epoch());
        assertThat(runs).hasValue(1);
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'wiped'")).isEqualTo(1);
        assertThat(count("select count(*) from " + app + ".seed_run")).isEqualTo(1);

        HealthReport.Init init = second.health().init();
        assertThat(init.epoch()).isEqualTo(s1.epoch());
        assertThat(init.owner().name()).isEqualTo(first.owner());
        assertThat(init.thisProcess().initialized()).isFalse();
        assertThat(first.health().init().thisProcess().initialized()).isTrue();
    }

    @Test
    void withoutWipeTheEpochIsTheSameBeforeAndAfterFlywayCreatedTheSchema() {
        // The application schema does not exist yet: Flyway creates it and records that in its
        // history. A process that derives the epoch afterwards must name the same epoch, or it
        // would initialise (and seed) a second time.
        AtomicInteger runs = new AtomicInteger();
        WardenConfig cfg = config().build();
        Warden first = warden(cfg, "v1", items(runs)).start();
        InitStatus s1 = first.initStatus().orElseThrow();
        assertThat(s1.initializedHere()).isTrue();
        assertThat(count("select count(*) from " + app + ".flyway_schema_history where type = 'SCHEMA'")).isEqualTo(1);

        Warden second = warden(cfg, "v1", items(runs)).start();
        InitStatus s2 = second.initStatus().orElseThrow();
        assertThat(s2.epoch()).isEqualTo(s1.epoch());
        assertThat(s2.initializedHere()).isFalse();
        assertThat(runs).hasValue(1);
        assertThat(count("select count(*) from " + app + ".seed_run")).isEqualTo(1);
        assertThat(count("select count(*) from " + meta + ".init_epochs")).isEqualTo(1);
    }

    @Test
    void aNewMigrationIsANewEpochThatAppliesIt() {
        AtomicInteger runs = new AtomicInteger();
        Warden first = warden(config().build(), "v1", items(runs)).start();
        String before = first.initStatus().orElseThrow().epoch();

        Warden second = warden(config().migrations("classpath:db/inittest", "classpath:db/inittest-next").build(),
                "v1", ctx -> { }).start();
        InitStatus s2 = second.initStatus().orElseThrow();
        assertThat(s2.epoch()).isNotEqualTo(before);
        assertThat(s2.initializedHere()).isTrue();
        assertThat(count("select count(*) from information_schema.columns where table_schema = '" + app
                + "' and table_name = 'item' and column_name = 'note'")).isEqualTo(1);
    }

    @Test
    void aNewSeedVersionIsANewEpochThatRunsOnceAndWipesOnce() {
        AtomicInteger runs = new AtomicInteger();
        WardenConfig cfg = config().initWipe(true).build();
        String e1 = warden(cfg, "v1", items(runs)).start().initStatus().orElseThrow().epoch();
        String e2 = warden(cfg, "v2", items(runs)).start().initStatus().orElseThrow().epoch();
        InitStatus again = warden(cfg, "v2", items(runs)).start().initStatus().orElseThrow();
        assertThat(e2).isNotEqualTo(e1);
        assertThat(again.epoch()).isEqualTo(e2);
        assertThat(again.initializedHere()).isFalse();
        assertThat(runs).hasValue(2);
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'wiped'")).isEqualTo(2);
        // the wipe of epoch 2 removed epoch 1's seed data; its own seed ran once
        assertThat(count("select count(*) from " + app + ".seed_run")).isEqualTo(1);
        assertThat(count("select count(*) from " + app + ".item")).isEqualTo(100);
    }

    @Test
    void withoutWipeANewEpochKeepsTheDataAndAConfiguredEpochWins() {
        AtomicInteger runs = new AtomicInteger();
        Seeder seeder = ctx -> {
            runs.incrementAndGet();
            try (var st = ctx.connection().createStatement()) {
                st.executeUpdate("insert into seed_run (epoch, owner) values ('" + ctx.epoch() + "', 'x')");
            }
        };
        warden(config().initEpoch("release-1").build(), "v1", seeder).start();
        warden(config().initEpoch("release-2").build(), "v1", seeder).start();
        warden(config().initEpoch("release-2").build(), "v1", seeder).start();
        assertThat(runs).hasValue(2);
        assertThat(count("select count(*) from " + app + ".seed_run")).isEqualTo(2);
        assertThat(count("select count(*) from " + meta + ".init_epochs where status = 'COMPLETED'")).isEqualTo(2);
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'wiped'")).isZero();
    }

    @Test
    void aFailingSeederRollsBackItsRowsRecordsTheErrorAndStopsAfterTheAttempts() {
        AtomicInteger runs = new AtomicInteger();
        Seeder failing = ctx -> {
            runs.incrementAndGet();
            try (var st = ctx.connection().createStatement()) {
                st.executeUpdate("insert into item (id, name) values (1, 'half')");
            }
            throw new IllegalStateException("seed file missing");
        };
        WardenConfig cfg = config().initEpoch("broken").initAttempts(2).build();
        Warden w = warden(cfg, "v1", failing);
        assertThatThrownBy(w::start).isInstanceOf(InitFailedException.class)
                .hasMessageContaining("Epoch broken failed 2 time(s)")
                .hasMessageContaining("WARDEN_INIT_ATTEMPTS (2)")
                .hasMessageContaining("seed file missing");
        assertThat(w.state()).isEqualTo(State.FAILED);
        assertThat(runs).hasValue(2);
        assertThat(count("select count(*) from " + app + ".item")).as("no half-seeded rows").isZero();
        assertThat(count("select count(*) from " + meta + ".init_epochs where status = 'FAILED' and error like '%seed file missing%'"))
                .isEqualTo(1);
        // the next process gives up at once instead of looping
        Warden next = warden(cfg, "v1", failing);
        long started = count("select count(*) from " + meta + ".init_log where event in ('started', 'takeover')");
        assertThat(CompletableFuture.supplyAsync(next::start, Executors.newSingleThreadExecutor()))
                .failsWithin(Duration.ofSeconds(60)).withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(InitFailedException.class).withMessageContaining("seed file missing");
        assertThat(runs).hasValue(2);
        assertThat(count("select count(*) from " + meta + ".init_log where event in ('started', 'takeover')"))
                .as("no new attempt started").isEqualTo(started);
        // a failed start stays failed with its cause
        assertThatThrownBy(w::start).isInstanceOf(WardenException.class).hasMessageContaining("seed file missing");
    }

    @Test
    void concurrentStartsInOneProcessAreSingleFlight() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Warden w = warden(config().build(), "v1", items(runs));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Warden>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                boolean ensure = i % 2 == 0;
                calls.add(pool.submit(() -> {
                    go.await();
                    return ensure ? w.ensureInitialized() : w.start();
                }));
            }
            go.countDown();
            for (Future<Warden> f : calls) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isSameAs(w);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(runs).hasValue(1);
        assertThat(w.state()).isEqualTo(State.READY);
    }

    @Test
    void manyWardensStartingAtOnceInitialiseOnce() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        WardenConfig cfg = config().initWipe(true).build();
        int n = 6;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<InitStatus>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Warden w = warden(cfg, "v1", items(runs));
                calls.add(pool.submit((Callable<InitStatus>) () -> {
                    go.await();
                    return w.start().initStatus().orElseThrow();
                }));
            }
            go.countDown();
            int here = 0;
            for (Future<InitStatus> f : calls) {
                InitStatus s = f.get(60, TimeUnit.SECONDS);
                assertThat(s.status()).isEqualTo(InitStatus.Status.COMPLETED);
                here += s.initializedHere() ? 1 : 0;
            }
            assertThat(here).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(runs).hasValue(1);
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'wiped'")).isEqualTo(1);
        assertThat(count("select count(*) from " + app + ".seed_run")).isEqualTo(1);
    }

    @Test
    void theLeaseLockWorksTheSameWay() {
        AtomicInteger runs = new AtomicInteger();
        WardenConfig cfg = config().initLock(InitSettings.LockKind.LEASE).initLeaseTtl(Duration.ofSeconds(2))
                .initHeartbeat(Duration.ofMillis(500)).initWipe(true).build();
        assertThat(warden(cfg, "v1", items(runs)).start().initStatus().orElseThrow().initializedHere()).isTrue();
        assertThat(warden(cfg, "v1", items(runs)).start().initStatus().orElseThrow().initializedHere()).isFalse();
        assertThat(runs).hasValue(1);
        assertThat(count("select count(*) from " + meta + ".locks where owner is null")).as("released").isEqualTo(1);
    }

    @Test
    void aMissingMigrationLocationIsAClearFailure() {
        WardenConfig cfg = config().migrations("classpath:db/does-not-exist").initAttempts(1).build();
        Warden w = warden(cfg, "v1", ctx -> { });
        assertThatThrownBy(w::start).isInstanceOf(WardenException.class)
                .hasMessageContaining("db/does-not-exist");
    }

    @Test
    void builderMigrationsAreADefaultAndTheApplicationSeesItsSchemaLikeTheSeeder() {
        AtomicInteger runs = new AtomicInteger();
        WardenConfig cfg = TestConfig.sharedPostgres().poolMaxSize(2).schemas(app).wardenSchema(meta).build();
        Warden w = Warden.builder().config(cfg).migrations("classpath:db/inittest").seeder("v1", items(runs)).build();
        wardens.add(w);
        w.start();
        assertThat(w.config().init().migrations()).containsExactly("classpath:db/inittest");
        long items = w.inTransaction(tx -> {
            try (var st = tx.connection().createStatement(); var rs = st.executeQuery("select count(*) from item")) {
                rs.next();
                return rs.getLong(1);
            }
        });
        assertThat(items).isEqualTo(100);
        // the environment's (or config's) migrations win over the builder's default
        Warden other = Warden.builder().config(config().migrations("classpath:db/other").build())
                .migrations("classpath:db/inittest").build();
        assertThat(other.config().init().migrations()).containsExactly("classpath:db/other");
    }

    @Test
    void closingWhileInitialisingStopsCleanlyWithoutFailed() throws Exception {
        CountDownLatch seeding = new CountDownLatch(1);
        Warden w = warden(config().build(), "v1", ctx -> {
            seeding.countDown();
            Thread.sleep(30_000);
        });
        ExecutorService pool = Executors.newSingleThreadExecutor();
        ExecutorService pool2 = Executors.newSingleThreadExecutor();
        try {
            Future<Warden> start = pool.submit(w::start);
            assertThat(seeding.await(30, TimeUnit.SECONDS)).isTrue();
            // The seeder sleeps 30 s; close() interrupts it: done well before (generous deadline).
            assertThat(CompletableFuture.runAsync(w::close, pool2)).succeedsWithin(Duration.ofSeconds(25));
            assertThatThrownBy(() -> start.get(25, TimeUnit.SECONDS)).hasCauseInstanceOf(dev.warden.NotReadyException.class);
            assertThat(w.state()).isEqualTo(State.STOPPED);
            assertThat(w.lifecycle().history()).noneMatch(t -> t.to() == State.FAILED);
        } finally {
            pool.shutdownNow();
            pool2.shutdownNow();
        }
        assertThat(count("select count(*) from " + meta + ".init_epochs where status = 'COMPLETED'")).isZero();
    }

    /**
     * Issue 22: only a live holder's migrations are exempt from WARDEN_INIT_TIMEOUT. A live holder
     * that seeds (or wipes, or anything else) longer than a waiter's timeout still ends that wait.
     */
    @Test
    void aLiveHolderThatSeedsLongerThanTheInitTimeoutStillEndsTheWaitersWait() throws Exception {
        CountDownLatch seeding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Seeder slow = ctx -> {
            seeding.countDown();
            release.await(15, TimeUnit.SECONDS); // below the holder's WARDEN_INIT_IDLE_TIMEOUT: its transaction survives
        };
        Warden holder = warden(config().initEpoch("slow-seed").initIdleTimeout(Duration.ofSeconds(30)).build(), "v1", slow);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Warden> first = pool.submit(holder::start);
            assertThat(seeding.await(60, TimeUnit.SECONDS)).isTrue();
            Warden waiter = warden(config().initEpoch("slow-seed").initTimeout(Duration.ofSeconds(2)).build(), "v1", slow);
            long t0 = System.nanoTime();
            assertThatThrownBy(waiter::start).isInstanceOf(InitFailedException.class)
                    .hasMessageContaining("Epoch slow-seed was not initialised within 2s (WARDEN_INIT_TIMEOUT)")
                    .hasMessageContaining("it is IN_PROGRESS by " + holder.owner());
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("ended by the timeout, not by the holder")
                    .isLessThan(Duration.ofSeconds(12));
            release.countDown();
            assertThat(first.get(60, TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void withNothingToInitialiseThereIsNoEpoch() {
        Warden w = Warden.create(TestConfig.sharedPostgres().wardenSchema(meta).schemas(app).build());
        wardens.add(w);
        w.start();
        assertThat(w.initStatus()).isEmpty();
        assertThat(w.health().init()).isNull();
    }
}
