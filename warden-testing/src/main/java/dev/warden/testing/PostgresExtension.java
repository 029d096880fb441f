package dev.warden.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * dropped after the test; {@link #withFreshDatabasePerClass()} one for the whole class (for a service
 * started once in {@code @BeforeAll}), dropped after the class. {@link #newDatabase(String)} makes
 * another one on demand. Without either, tests use the server's {@code postgres} database.
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    private static final AtomicInteger DATABASES = new AtomicInteger();

    /** Which empty database the tests get. */
    private enum Fresh { NONE, PER_METHOD, PER_CLASS }

    private final Map<String, String> ownSettings; // null: the shared server
    private Fresh fresh = Fresh.NONE;
    private ThrowawayDatabase server;
    private PostgresDatabase current; // null: the server's postgres database
    private final List<PostgresDatabase> madeForTheClass = new CopyOnWriteArrayList<>();

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
        this.fresh = Fresh.PER_METHOD;
        return this;
    }

    /**
     * The test class gets one empty database, made before its {@code @BeforeAll} methods run and dropped
     * after its {@code @AfterAll} methods: for tests that share a service started once.
     */
    public PostgresExtension withFreshDatabasePerClass() {
        this.fresh = Fresh.PER_CLASS;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server = ownSettings == null ? SharedPostgres.get() : ThrowawayDatabase.start("warden-test-pg", ownSettings);
        if (fresh == Fresh.PER_CLASS) {
            current = newDatabase("test");
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        current = null;
        try {
            if (server != null && server.running()) {
                for (PostgresDatabase db : madeForTheClass) {
                    drop(db);
                }
            }
        } finally {
            madeForTheClass.clear();
            if (ownSettings != null && server != null) {
                server.close();
            }
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (fresh == Fresh.PER_METHOD) {
            current = create("test");
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (fresh == Fresh.PER_METHOD && current != null) {
            PostgresDatabase done = current;
            current = null;
            if (server().running()) {
                drop(done);
            }
        }
    }

    /**
     * Makes another empty database on the server, dropped after the test class (databases are cheap:
     * one per service under test keeps their tables and init records apart).
     *
     * @param prefix the start of its name (letters, digits, underscores); a unique suffix is added
     */
    public PostgresDatabase newDatabase(String prefix) {
        PostgresDatabase db = create(prefix);
        madeForTheClass.add(db);
        return db;
    }

    private PostgresDatabase create(String prefix) {
        if (!prefix.matches("[a-z][a-z0-9_]{0,30}")) {
            throw new IllegalArgumentException("A database name prefix is lower-case letters, digits and"
                    + " underscores, at most 31 characters, starting with a letter; got \"" + prefix + "\"");
        }
        String name = prefix + "_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        postgres().exec("create database " + name);
        return new PostgresDatabase(name, urlOf(name));
    }

    private void drop(PostgresDatabase db) {
        postgres().exec("drop database if exists " + db.name() + " with (force)");
    }

    private PostgresDatabase postgres() {
        return new PostgresDatabase("postgres", urlOf("postgres"));
    }

    private String urlOf(String database) {
        return "jdbc:postgresql://127.0.0.1:" + server().port() + "/" + database;
    }

    /** The server (started before the first test of the class). */
    public ThrowawayDatabase server() {
        if (server == null) {
            throw new IllegalStateException("PostgresExtension is not started: register it with @RegisterExtension"
                    + " on a static field");
        }
        return server;
    }

    /** The database the current test uses: its fresh one, or the server's {@code postgres} database. */
    public PostgresDatabase current() {
        return current != null ? current : postgres();
    }

    /** JDBC URL of the current test's database. */
    public String jdbcUrl() {
        return current().jdbcUrl();
    }

    /** The current test's database name. */
    public String database() {
        return current().name();
    }

    /** A plain connection (auto-commit on) to the current test's database, as the superuser. */
    public Connection connect() throws SQLException {
        return current().connect();
    }

    /**
     * Runs statements on a plain connection to the current test's database.
     *
     * @throws IllegalStateException when one fails, with the {@link SQLException} as its cause
     */
    public void exec(String... sql) {
        current().exec(sql);
    }

    /** The long value of a one-row query on the current test's database (e.g. a count). */
    public long queryLong(String sql) {
        return current().queryLong(sql);
    }
}
