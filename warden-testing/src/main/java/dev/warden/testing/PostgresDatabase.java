package dev.warden.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One database on a throw-away server, with plain JDBC access as the superuser for a test's set-up and
 * checks: {@link #exec(String...)} to prepare, {@link #queryLong(String)} to count what a path wrote.
 * Made by {@link PostgresExtension#newDatabase(String)}.
 *
 * @param name    the database's name
 * @param jdbcUrl its JDBC URL (127.0.0.1)
 */
public record PostgresDatabase(String name, String jdbcUrl) {

    /** A plain connection (auto-commit on), outside any pool, as {@value ThrowawayDatabase#USER}. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl, ThrowawayDatabase.USER, "");
    }

    /**
     * Runs statements on a plain connection.
     *
     * @throws IllegalStateException naming the statements, with the {@link SQLException} as its cause
     */
    public void exec(String... sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not run " + String.join("; ", sql) + " in " + name + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The long value in the first column of the first row of a query, on a plain connection.
     *
     * @throws IllegalStateException when the query fails or returns no row
     */
    public long queryLong(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("No row from " + sql + " in " + name);
            }
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not run " + sql + " in " + name + ": " + e.getMessage(), e);
        }
    }
}
