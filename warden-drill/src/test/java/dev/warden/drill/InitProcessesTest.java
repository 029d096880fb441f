package dev.warden.drill;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.embedded.ThrowawayDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Exactly-once initialisation with real, separate JVM processes (not threads) on one embedded
 * PostgreSQL, through the same code as {@code warden drill init}.
 */
class InitProcessesTest {

    private static Map<String, Object> drill(String... args) throws Exception {
        InitDrill d = new InitDrill();
        new CommandLine(d).parseArgs(args);
        return d.execute();
    }

    @Test
    void eightProcessesTwentyTrialsWithWipeInitialiseEachEpochExactlyOnce() throws Exception {
        Map<String, Object> r = drill("--workers", "8", "--trials", "20", "--wipe", "--seed-rows", "2000");
        assertThat(r.get("trials")).isEqualTo(20);
        assertThat(r.get("double_initializations")).isEqualTo(0L);
        assertThat(r.get("missing_initializations")).isEqualTo(0L);
        assertThat(r.get("max_initializations_per_epoch")).isEqualTo(1L);
        assertThat(r.get("wipes_per_epoch_max")).isEqualTo(1L);
        assertThat(r.get("seeds_per_epoch_max")).isEqualTo(1L);
        assertThat(r.get("seeded_rows_ok")).as("every epoch's seeded rows present afterwards").isEqualTo(true);
        assertThat(r.get("failed_workers")).as("every process READY: %s", r.get("failures")).isEqualTo(0);
        assertThat(r.get("stuck_locks")).isEqualTo(0);
    }

    @Test
    void aKilledAdvisoryLockHolderIsTakenOverAndTheEpochCompletesOnce() throws Exception {
        Map<String, Object> r = drill("--workers", "4", "--trials", "4", "--wipe", "--kill-holder", "--random-seed", "7");
        assertThat((Long) r.get("holder_kills")).as("kills that landed mid-initialisation").isGreaterThanOrEqualTo(1L);
        assertThat((Long) r.get("takeovers")).isEqualTo((Long) r.get("holder_kills"));
        assertThat(r.get("double_initializations")).isEqualTo(0L);
        assertThat(r.get("missing_initializations")).isEqualTo(0L);
        assertThat(r.get("wipes_per_epoch_max")).as("a committed wipe is not repeated by the taker").isEqualTo(1L);
        assertThat(r.get("seeded_rows_ok")).isEqualTo(true);
        assertThat(r.get("failed_workers")).as("%s", r.get("failures")).isEqualTo(0);
        assertThat(r.get("stuck_locks")).isEqualTo(0);
    }

    @Test
    void aKilledLeaseHolderIsTakenOverWithinTheTtlPlusOneHeartbeat() throws Exception {
        Map<String, Object> r = drill("--workers", "3", "--trials", "3", "--kill-holder", "--lock", "lease",
                "--lease-ttl", "2s", "--heartbeat", "500ms", "--random-seed", "11");
        assertThat((Long) r.get("holder_kills")).isGreaterThanOrEqualTo(1L);
        assertThat((Long) r.get("takeovers")).isEqualTo((Long) r.get("holder_kills"));
        assertThat((Long) r.get("takeover_ms_max")).as("TTL 2000 ms + heartbeat 500 ms").isLessThanOrEqualTo(2500L);
        assertThat(r.get("double_initializations")).isEqualTo(0L);
        assertThat(r.get("failed_workers")).as("%s", r.get("failures")).isEqualTo(0);
        assertThat(r.get("stuck_locks")).isEqualTo(0);
    }

    /**
     * A holder frozen with SIGSTOP in the middle of seeding, past its lease: another process takes
     * over and completes the epoch; when the frozen one resumes it cannot complete it again.
     */
    @Test
    void aHolderPausedPastItsLeaseCannotMarkTheEpochCompleted() throws Exception {
        Path dir = Files.createTempDirectory("warden-fencing");
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-fencing-pg", Map.of())) {
            Map<String, String> env = new HashMap<>();
            env.put("WARDEN_DB_URL", db.jdbcUrl());
            env.put("WARDEN_SCHEMAS", "fencing_app");
            env.put("WARDEN_SCHEMA", "fencing_meta");
            env.put("WARDEN_MIGRATIONS", "classpath:db/drill");
            env.put("WARDEN_INIT_EPOCH", "fencing-1");
            env.put("WARDEN_INIT_LOCK", "lease");
            env.put("WARDEN_INIT_LEASE_TTL", "1500ms");
            env.put("WARDEN_INIT_HEARTBEAT", "300ms");
            env.put("WARDEN_POOL_MAX_SIZE", "2");
            env.put("DRILL_SEED_ROWS", "1000");
            Map<String, String> slowEnv = new HashMap<>(env);
            slowEnv.put("DRILL_SEED_PAUSE_MS", "3000");
            Workers.Worker paused = Workers.start(slowEnv, dir.resolve("paused.log"));
            Workers.Worker taker = null;
            try {
                assertThat(paused.await(60_000, "BOOTED")).startsWith("BOOTED");
                paused.send("GO");
                // wait until it is seeding (half the rows written, its transaction open), then freeze it
                assertThat(paused.await(60_000, "PAUSING")).startsWith("PAUSING");
                paused.signal("STOP");
                Thread.sleep(1500 + 300 + 500);
                taker = Workers.start(env, dir.resolve("taker.log"));
                assertThat(taker.await(60_000, "BOOTED")).startsWith("BOOTED");
                taker.send("GO");
                String takerReady = taker.await(60_000, "READY", "FAILED");
                assertThat(takerReady).startsWith("READY");
                Map<?, ?> t = new ObjectMapper().readValue(takerReady.substring(6), Map.class);
                assertThat(t.get("initialized_here")).isEqualTo(true);
                assertThat(t.get("took_over")).isEqualTo(true);
                paused.signal("CONT");
                String pausedReady = paused.await(60_000, "READY", "FAILED");
                assertThat(pausedReady).as("the resumed holder finds the epoch done by the taker").startsWith("READY");
                Map<?, ?> p = new ObjectMapper().readValue(pausedReady.substring(6), Map.class);
                assertThat(p.get("initialized_here")).isEqualTo(false);
                assertThat(p.get("owner")).isEqualTo(t.get("owner"));
                assertThat(query(db, "select count(*) from fencing_meta.init_log where event = 'completed'")).isEqualTo(1);
                assertThat(query(db, "select count(*) from fencing_app.seed_run")).as("seeded once").isEqualTo(1);
                assertThat(query(db, "select count(*) from fencing_app.item")).isEqualTo(1000);
                assertThat(query(db, "select count(*) from fencing_meta.init_epochs where status = 'COMPLETED' and owner like '%:"
                        + taker.pid() + "/%'")).isEqualTo(1);
                assertThat(Files.readString(paused.log())).as("the paused holder noticed it lost the lease")
                        .containsAnyOf("lost the init lock", "Lost the lease", "no longer held", "expired", "terminat");
            } finally {
                paused.stop();
                if (taker != null) {
                    taker.stop();
                }
            }
        }
    }

    private static long query(ThrowawayDatabase db, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void awaitSql(ThrowawayDatabase db, String sql, long expected) throws Exception {
        for (int i = 0; i < 600; i++) {
            try {
                if (query(db, sql) == expected) {
                    return;
                }
            } catch (java.sql.SQLException notYet) {
                // the schema appears with the worker's first transaction
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out waiting for " + sql + " = " + expected);
    }
}
