package dev.warden.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension for a real PostgreSQL, in the spirit of Jdbi's {@code JdbiPostgresExtension}:
 * <pre>{@code
 * @RegisterExtension
 * static PostgresExtension pg = PostgresExtension.shared().withFreshDatabase();
 *
 * @Test
 * void insertsOnce() {
 *     Warden warden = Warden.builder().config(WardenConfig.builder().dbUrl(pg.jdbcUrl()).build()).build();
 * }
 * }</pre>
 * {@link #shared()} uses the JVM's {@link SharedPostgres}; {@link #throwaway(Map)} starts a server of the
 * test class's own (stopped and deleted after the class), for tests that stop, restart or stall it.
 * {@link #withFreshDatabase()} gives each test method an empty database of its own on that server,
 * dropped after the test.
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    private static final AtomicInteger DATABASES = new AtomicInteger();

    private final Map<String, String> ownSettings; // null: the shared server
    private boolean freshDatabase;
    private ThrowawayDatabase server;
    private String database = "postgres";

    private PostgresExtension(Map<String, String> ownSettings) {
        this.ownSettings = ownSettings;
    }

    /** The JVM's shared server ({@link SharedPostgres}). */
    public static PostgresExtension shared() {
        return new PostgresExtension(null);
    }

    /** A server of the test class's own, with these {@code postgresql.conf} settings. */
    public static PostgresExtension throwaway(Map<String, String> settings) {
        return new PostgresExtension(Map.copyOf(settings));
    }

    /** Each test method gets an empty database of its own, dropped after it. */
    public PostgresExtension withFreshDatabase() {
        this.freshDatabase = true;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server = ownSettings == null ? SharedPostgres.get() : ThrowawayDatabase.start("warden-test-pg", ownSettings);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (ownSettings != null && server != null) {
            server.close();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws SQLException {
        if (freshDatabase) {
            String name = "test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
            execIn("postgres", "create database " + name);
            database = name;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws SQLException {
        if (freshDatabase && !"postgres".equals(database)) {
            String name = database;
            database = "postgres";
            execIn("postgres", "drop database if exists " + name + " with (force)");
        }
    }

    /** The server (started before the first test of the class). */
    public ThrowawayDatabase server() {
        if (server == null) {
            throw new IllegalStateException("PostgresExtension is not started: register it with @RegisterExtension"
                    + " on a static field");
        }
        return server;
    }

    /** JDBC URL of the current test's database. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + server().port() + "/" + database;
    }

    /** The current test's database name. */
    public String database() {
        return database;
    }

    /** A plain connection (auto-commit on) to the current test's database, as the superuser. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), ThrowawayDatabase.USER, "");
    }

    /** Runs statements on a plain connection to the current test's database. */
    public void exec(String... sql) throws SQLException {
        execIn(database, sql);
    }

    private void execIn(String db, String... sql) throws SQLException {
        String url = "jdbc:postgresql://127.0.0.1:" + server().port() + "/" + db;
        try (Connection c = DriverManager.getConnection(url, ThrowawayDatabase.USER, "");
             Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
