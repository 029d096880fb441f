package dev.warden;

import dev.warden.testing.SharedPostgres;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * One real embedded PostgreSQL per test JVM, started on first use in a fresh temporary directory
 * and stopped when the JVM exits. Tests keep out of each other's way with their own tables.
 */
public final class TestDatabase {

    private TestDatabase() {
    }

    public static ThrowawayDatabase get() {
        return SharedPostgres.get();
    }

    public static String url() {
        return SharedPostgres.url();
    }

    /** A config for the shared test database that ignores the environment of the machine. */
    public static WardenConfig.Builder config() {
        return WardenConfig.builder().environment(java.util.Map.of())
                .dbUrl(url())
                .poolMaxSize(8)
                .retryInitialBackoff(Duration.ofMillis(1))
                .retryMaxBackoff(Duration.ofMillis(50));
    }

    /** A plain JDBC connection (auto-commit on), outside any pool. */
    public static Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), "postgres", "");
    }

    /** Runs statements on a plain connection. */
    public static void exec(String... sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The single long value of a query on a plain connection. */
    public static long queryLong(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
