package dev.warden.bench;

import dev.warden.embedded.EmbeddedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/** The embedded PostgreSQL a benchmark fork runs against, on loopback, with a table of rows to update. */
final class PgBench {

    static final int ROWS = 1_000;

    private PgBench() {
    }

    static EmbeddedDatabase start() {
        try {
            Path dir = Files.createTempDirectory("warden-bench-pg");
            EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("data"), 0, Map.of(
                    // durable commits would measure the disk, not the code under test
                    "synchronous_commit", "off", "fsync", "off"));
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
                 Statement st = c.createStatement()) {
                st.execute("create table item (id int primary key, n bigint not null)");
                st.execute("insert into item select g, 0 from generate_series(1, " + ROWS + ") g");
                st.execute("vacuum analyze item");
            }
            return db;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
