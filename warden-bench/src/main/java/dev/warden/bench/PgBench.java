package dev.warden.bench;

import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.ThrowawayDatabase;
import java.io.IOException;
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

    /** The database a fork uses: its own embedded PostgreSQL, or the shared one bench/run started. */
    record Db(String jdbcUrl, ThrowawayDatabase owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned != null) {
                owned.close();
            }
        }
    }

    /** A started Warden on {@code db}, pool of 4: every PostgreSQL benchmark runs on the same settings. */
    static Warden warden(Db db) {
        return warden(db, true);
    }

    /** Same, with the health monitor on (the default, one probe a second) or off ({@code WARDEN_MONITOR_INTERVAL=0}). */
    static Warden warden(Db db, boolean monitor) {
        WardenConfig.Builder b = WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).poolMaxSize(4);
        if (!monitor) {
            b.monitorInterval(java.time.Duration.ZERO);
        }
        return Warden.create(b.build()).start();
    }

    /** Property naming a running PostgreSQL that every fork shares (set by bench/run). */
    static final String SHARED_URL = "warden.bench.db.url";

    /**
     * The database for one fork: the shared server when {@value #SHARED_URL} is set (all variants
     * then meet the same server, its caches and its processes), else a new embedded one. The table
     * is created fresh either way.
     */
    static Db start() {
        String shared = System.getProperty(SHARED_URL);
        if (shared != null && !shared.isBlank()) {
            createTable(shared);
            return new Db(shared, null);
        }
        ThrowawayDatabase db = startEmbedded();
        createTable(db.jdbcUrl());
        return new Db(db.jdbcUrl(), db);
    }

    static ThrowawayDatabase startEmbedded() {
        // durable commits would measure the disk, not the code under test
        return ThrowawayDatabase.start("warden-bench-pg", Map.of("synchronous_commit", "off", "fsync", "off"));
    }

    private static void createTable(String url) {
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
             Statement st = c.createStatement()) {
            st.execute("drop table if exists item");
            st.execute("create table item (id int primary key, n bigint not null)");
            st.execute("insert into item select g, 0 from generate_series(1, " + ROWS + ") g");
            st.execute("vacuum analyze item");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts the shared server for bench/run, prints its JDBC URL on one line and keeps it running
     * until stdin closes.
     */
    public static void main(String[] args) throws IOException {
        try (Db db = new Db(null, startEmbedded())) {
            System.out.println(db.owned().jdbcUrl());
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for bench/run to close our stdin
            }
        }
    }
}
