package dev.warden.pooler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.warden.ConfigException;
import dev.warden.InitSettings;
import dev.warden.Pooler;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.PgBouncer;
import dev.warden.testing.ThrowawayDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 20: an authentication failure at login reaches the start-up error verbatim and fails the
 * start at once, although {@code WARDEN_STARTUP_TIMEOUT} is 5 minutes: waiting does not fix a
 * password. The server checks passwords ({@code scram-sha-256} in its own {@code pg_hba.conf}: 28P01)
 * and rejects a user outright ({@code reject}: 28000); PgBouncer with {@code auth_type = md5} checks
 * the password itself (PgBouncer 1.18 sends its refusal with SQLState 08P01, not 28P01).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LoginAuthenticationTest {

    private static ThrowawayDatabase db;
    private static PgBouncer bouncer;
    private static Path authDir;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(PgBouncer.requireUnlessSkippable(), PgBouncer.BINARY + " is not installed: skipped outside CI");
        authDir = Files.createTempDirectory("pgbouncer-auth");
        authDir.toFile().setExecutable(true, false);
        Path hba = authDir.resolve("pg_hba.conf");
        Files.writeString(hba, String.join("\n",
                "local all all trust",
                "host all " + ThrowawayDatabase.USER + " 127.0.0.1/32 trust",
                "host all " + ThrowawayDatabase.USER + " ::1/128 trust",
                "host all rejected 127.0.0.1/32 reject",
                "host all all 127.0.0.1/32 scram-sha-256", ""));
        db = ThrowawayDatabase.start("pgbouncer-auth", Map.of("hba_file", hba.toString()));
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(db.jdbcUrl(), ThrowawayDatabase.USER, "");
             java.sql.Statement st = c.createStatement()) {
            st.execute("create role app login password 'app-password'");
        }
        Path users = authDir.resolve("users.txt");
        Files.writeString(users, "\"" + ThrowawayDatabase.USER + "\" \"right-password\"\n");
        users.toFile().setReadable(true, false); // PgBouncer may run as nobody (CI runs as root)
        bouncer = PgBouncer.start(db, PgBouncer.Mode.TRANSACTION, Map.of("auth_type", "md5", "auth_file", users.toString()));
    }

    @AfterAll
    static void stop() {
        if (bouncer != null) {
            bouncer.close();
        }
        if (db != null) {
            db.close();
        }
        if (authDir != null) {
            ThrowawayDatabase.deleteDirectory(authDir);
        }
    }

    private static WardenConfig.Builder throughThePooler(String password) {
        return WardenConfig.builder().environment(Map.of())
                .dbUrl(bouncer.jdbcUrl())
                .dbUser(ThrowawayDatabase.USER)
                .dbPassword(password)
                .pooler(Pooler.TRANSACTION)
                .initLock(InitSettings.LockKind.LEASE)
                .initEpoch("auth-1")
                .startupTimeout(Duration.ofMinutes(5))
                .initTimeout(Duration.ofMinutes(5));
    }

    @Test
    void theRightPasswordThroughThePoolerStarts() {
        try (Warden warden = Warden.create(throughThePooler("right-password").build()).start()) {
            assertThat(warden.state()).isEqualTo(State.READY);
        }
    }

    @Test
    void aWrongPasswordAtThePoolerFailsTheStartAtOnceVerbatim() {
        WardenConfig c = throughThePooler("wrong-password").build();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Warden.create(c).start())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("refused the login")
                .hasMessageContaining("password authentication failed")
                .hasMessageContaining("(SQLState 08P01)")
                .hasMessageNotContaining("wrong-password");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("time to fail").isLessThan(Duration.ofSeconds(60));
    }

    @Test
    void aWrongPasswordAtTheServerFailsTheStartAtOnceVerbatim() {
        WardenConfig c = WardenConfig.builder().environment(Map.of())
                .dbUrl(db.jdbcUrl())
                .dbUser("app")
                .dbPassword("wrong-password")
                .initEpoch("auth-2")
                .startupTimeout(Duration.ofMinutes(5))
                .build();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Warden.create(c).start())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("refused the login")
                .hasMessageContaining("password authentication failed for user \"app\"")
                .hasMessageContaining("(SQLState 28P01)")
                .hasMessageNotContaining("wrong-password");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("time to fail").isLessThan(Duration.ofSeconds(60));
    }

    @Test
    void aUserTheServerRejectsFailsTheStartAtOnceVerbatim() {
        WardenConfig c = WardenConfig.builder().environment(Map.of())
                .dbUrl(db.jdbcUrl())
                .dbUser("rejected")
                .initEpoch("auth-3")
                .startupTimeout(Duration.ofMinutes(5))
                .build();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Warden.create(c).start())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("refused the login")
                .hasMessageContaining("pg_hba.conf rejects connection")
                .hasMessageContaining("(SQLState 28000)");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("time to fail").isLessThan(Duration.ofSeconds(60));
    }

    @Test
    void aPasswordTheServerAsksForButNoneIsConfiguredFailsTheStartAtOnce() {
        // pgjdbc refuses this itself (08004, no server message): waiting does not provide a password either.
        WardenConfig c = WardenConfig.builder().environment(Map.of())
                .dbUrl(db.jdbcUrl())
                .dbUser("app")
                .initEpoch("auth-4")
                .startupTimeout(Duration.ofMinutes(5))
                .build();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Warden.create(c).start())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("refused the login")
                .hasMessageContaining("no password was provided");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("time to fail").isLessThan(Duration.ofSeconds(60));
    }
}
