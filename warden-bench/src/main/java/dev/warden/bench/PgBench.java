package dev.warden.bench;

import dev.warden.Warden;
import dev.warden.config.WardenConfig;
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

    /** A started Warden on {@code db}, pool of 4: every PostgreSQL benchmark runs on the same settings. */
    static Warden warden(EmbeddedDatabase db) {
        return warden(db, true);
    }

    /** Same, with the health monitor on (the default, one probe a second) or off ({@code WARDEN_MONITOR_INTERVAL=0}). */
    static Warden warden(EmbeddedDatabase db, boolean monitor) {
        WardenConfig.Builder b = WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).poolMaxSize(4);
        if (!monitor) {
            b.monitorInterval(java.time.Duration.ZERO);
        }
        return Warden.create(b.build()).start();
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
