package dev.warden.internal.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.State;
import dev.warden.TestConfig;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.SharedPostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Migrations as production has them, against the real embedded PostgreSQL, with
 * {@code WARDEN_INIT_IDLE_TIMEOUT} at 2 s so that an 8 s statement is four times it: a long
 * statement, a {@code CREATE INDEX CONCURRENTLY}, an index build interrupted by the loss of the
 * holder's lock, and the progress every process shows meanwhile. (Across processes, kills and cuts:
 * the drill's {@code --migration-seconds} and {@code --concurrent-index}, InitProcessesTest.)
 */
class LongMigrationTest {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Duration GENEROUS = Duration.ofSeconds(90);
    private String app;
    private String meta;
    private final List<Warden> wardens = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void names() {
        int n = SEQ.incrementAndGet();
        app = "longapp_" + n;
        meta = "longmeta_" + n;
    }

    @AfterEach
    void close() {
        wardens.forEach(Warden::close);
        threads.shutdownNow();
        SharedPostgres.exec("select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'long-%'"
                + " and pid <> pg_backend_pid()");
        SharedPostgres.exec("drop schema if exists " + app + " cascade", "drop schema if exists " + meta + " cascade");
    }

    private WardenConfig config(String migrations, String name) {
        return TestConfig.sharedPostgres().poolMaxSize(1).schemas(app).wardenSchema(meta).applicationName(name)
                .initEpoch("e1").initIdleTimeout(Duration.ofSeconds(2)).migrations(migrations).build();
    }

    private CompletableFuture<Warden> start(Warden w) {
        wardens.add(w);
        return CompletableFuture.supplyAsync(w::start, threads);
    }

    private long count(String sql) {
        return SharedPostgres.queryLong(sql);
    }

    @Test
    void aStatementFourTimesTheIdleTimeoutCompletesOnceAndEveryProcessNamesIt() throws Exception {
        Warden holder = Warden.builder().config(config("classpath:db/longmig", "long-holder")).build();
        CompletableFuture<Warden> first = start(holder);
        await().atMost(GENEROUS).until(() -> holder.lifecycle().progress().contains("migration 1 'slow backfill'"));
        assertThat(holder.health().init().step()).as("the holder's health report names it")
                .matches("migration 1 'slow backfill', running \\d+s");
        Warden waiter = Warden.builder().config(config("classpath:db/longmig", "long-waiter")).build();
        CompletableFuture<Warden> second = start(waiter);
        // The waiter reads the holder's record: which migration runs, and for how long.
        java.util.concurrent.atomic.AtomicReference<String> seen = new java.util.concurrent.atomic.AtomicReference<>();
        await().atMost(GENEROUS).until(() -> {
            String p = waiter.lifecycle().progress();
            if (p.contains("migration 1 'slow backfill'")) {
                seen.set(p);
            }
            return second.isDone() || seen.get() != null;
        });
        assertThat(seen.get()).as("the waiter names the holder's migration").isNotNull()
                .matches("waiting for " + java.util.regex.Pattern.quote(holder.owner())
                        + " .*: migration 1 'slow backfill', running \\d+s");
        assertThat(first.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        assertThat(second.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        assertThat(count("select count(*) from " + app + ".applied")).as("applied once").isEqualTo(1);
        assertThat(count("select attempts from " + meta + ".init_epochs")).as("one attempt, no takeover").isEqualTo(1);
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'takeover'")).isZero();
        assertThat(count("select count(*) from " + meta + ".init_epochs where migration_description is not null"))
                .as("the running migration's record is cleared when migrations end").isZero();
    }

    /**
     * Issue 22: with the lease lock (a live holder is one that renews its lease), a waiter whose
     * WARDEN_INIT_TIMEOUT (3 s) is well below the holder's migration (8 s) waits for it and ends
     * READY: the time a live holder runs a migration does not count. (The holder's own exemption,
     * and the advisory lock's: InitProcessesTest.aMigrationLongerThanTheInitTimeout….)
     */
    @Test
    void aMigrationLongerThanTheInitTimeoutWithTheLeaseLockIsWaitedFor() throws Exception {
        WardenConfig.Builder b = TestConfig.sharedPostgres().poolMaxSize(1).schemas(app).wardenSchema(meta).initEpoch("e1")
                .initIdleTimeout(Duration.ofSeconds(2)).migrations("classpath:db/longmig")
                .initLock(dev.warden.InitSettings.LockKind.LEASE).initLeaseTtl(Duration.ofSeconds(2))
                .initHeartbeat(Duration.ofMillis(500));
        Warden holder = Warden.builder().config(b.applicationName("long-lease-holder").build()).build();
        CompletableFuture<Warden> first = start(holder);
        await().atMost(GENEROUS).until(() -> holder.lifecycle().progress().contains("migration 1 'slow backfill'"));
        Warden waiter = Warden.builder().config(b.applicationName("long-lease-waiter")
                .initTimeout(Duration.ofSeconds(3)).build()).build();
        long t0 = System.nanoTime();
        CompletableFuture<Warden> second = start(waiter);
        assertThat(second.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("it waited longer than its WARDEN_INIT_TIMEOUT")
                .isGreaterThan(Duration.ofSeconds(3));
        assertThat(first.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        assertThat(waiter.initStatus().orElseThrow().initializedHere()).isFalse();
        assertThat(count("select count(*) from " + app + ".applied")).as("applied once").isEqualTo(1);
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'takeover'")).isZero();
    }

    @Test
    void aConcurrentIndexBuildCompletesOnce() throws Exception {
        Warden w = Warden.builder().config(config("classpath:db/cicmig", "long-cic")).build();
        assertThat(start(w).get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        assertThat(count("select count(*) from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n"
                + " on n.oid = c.relnamespace where n.nspname = '" + app + "' and c.relname = 'big_slow_key_idx'"
                + " and i.indisvalid")).as("the index is there and valid").isEqualTo(1);
        assertThat(count("select count(*) from " + app + ".flyway_schema_history where version = '2' and success"))
                .isEqualTo(1);
        assertThat(count("select attempts from " + meta + ".init_epochs")).isEqualTo(1);
    }

    @Test
    void anIndexBuildInterruptedByTheLossOfTheLockIsCleanedUpNamedAndRunOnceMore() throws Exception {
        Warden w = Warden.builder().config(config("classpath:db/cicmig", "long-cut")).build();
        CompletableFuture<Warden> started = start(w);
        await().atMost(GENEROUS).until(() -> w.lifecycle().progress()
                .contains("migration 2 'big index' (non-transactional), running"));
        // Let the build run a while, then end the holder's lock session on the server (as for a holder
        // that died or was cut off): its work is cut, the index is left half-built (invalid).
        await().atMost(GENEROUS).until(() -> w.lifecycle().progress().matches(".*running [2-9]s"));
        int key = InitSchema.lockKey(meta, InitSchema.lockName(List.of(app)));
        SharedPostgres.exec("select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and granted"
                + " and classid = " + InitSchema.LOCK_SPACE + "::int8::oid and objid = " + key + "::int8::oid");
        assertThat(started.get(GENEROUS.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(State.READY);
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'takeover'")).isEqualTo(1);
        assertThat(count("select count(*) from " + meta + ".init_log where event = 'rerun-interrupted'"
                + " and detail like '%migration 2 ''big index''%'")).as("the second run is said, with the migration's name")
                .isEqualTo(1);
        assertThat(count("select count(*) from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n"
                + " on n.oid = c.relnamespace where n.nspname = '" + app + "' and not i.indisvalid"))
                .as("no invalid index left").isZero();
        assertThat(count("select count(*) from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n"
                + " on n.oid = c.relnamespace where n.nspname = '" + app + "' and c.relname = 'big_slow_key_idx'"
                + " and i.indisvalid")).isEqualTo(1);
        assertThat(count("select count(*) from " + app + ".flyway_schema_history where version = '2'")).isEqualTo(1);
        assertThat(count("select failures from " + meta + ".init_epochs")).isZero();
    }
}
