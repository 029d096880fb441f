package dev.warden.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * One throw-away PostgreSQL per JVM, started on first use and stopped (its data deleted) when the JVM
 * exits: the cheap default for tests that keep out of each other's way with their own tables or
 * databases. Durability is off ({@code fsync}, {@code synchronous_commit}); {@code pg_stat_statements}
 * is loaded so that tests can count the statements a path sends.
 */
public final class SharedPostgres {

    private static ThrowawayDatabase db;

    private SharedPostgres() {
    }

    /** The server, started on the first call. */
    public static synchronized ThrowawayDatabase get() {
        if (db == null) {
            db = ThrowawayDatabase.start("warden-test-pg", Map.of(
                    "shared_preload_libraries", "pg_stat_statements",
                    "pg_stat_statements.track", "all",
                    "fsync", "off",
                    "synchronous_commit", "off"));
            Runtime.getRuntime().addShutdownHook(new Thread(db::close, "stop-shared-postgres"));
        }
        return db;
    }

    /** JDBC URL of its {@code postgres} database. */
    public static String url() {
        return get().jdbcUrl();
    }

    /** A plain JDBC connection (auto-commit on), outside any pool. */
    public static Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), ThrowawayDatabase.USER, "");
    }

    /** Runs statements on a plain connection. */
    public static void exec(String... sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not run " + String.join("; ", sql) + ": " + e.getMessage(), e);
        }
    }

    /** The single long value of a query on a plain connection. */
    public static long queryLong(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("No row from " + sql);
            }
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not run " + sql + ": " + e.getMessage(), e);
        }
    }

    /** The process id of the server backend behind {@code c} (any server's connection, not only this one's). */
    public static int backendPid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
