package dev.warden.example.auction;

import dev.warden.WardenConfig;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real embedded PostgreSQL per test JVM (fresh temporary directory, stopped at exit); each test
 * class gets its own database on it.
 */
final class Pg {

    private static ThrowawayDatabase db;
    private static final AtomicInteger SEQ = new AtomicInteger();

    private Pg() {
    }

    static synchronized ThrowawayDatabase server() {
        if (db == null) {
            db = ThrowawayDatabase.start("auction-test-pg", Map.of("fsync", "off", "synchronous_commit", "off"));
            Runtime.getRuntime().addShutdownHook(new Thread(db::close, "stop-test-postgres"));
        }
        return db;
    }

    /** Creates a new, empty database and returns its JDBC URL. */
    static String freshDatabase(String prefix) {
        String name = prefix + "_" + ProcessHandle.current().pid() + "_" + SEQ.incrementAndGet();
        exec(server().jdbcUrl(), "create database " + name);
        return "jdbc:postgresql://127.0.0.1:" + server().port() + "/" + name;
    }

    /** The service's Warden configuration (its migrations included) on {@code url}, ignoring the environment. */
    static WardenConfig config(String url) {
        return AuctionApp.wardenConfig(WardenConfig.builder().environment(Map.of()).dbUrl(url).poolMaxSize(8)
                .retryInitialBackoff(Duration.ofMillis(1)).retryMaxBackoff(Duration.ofMillis(50)));
    }

    static void exec(String url, String... sql) {
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static long queryLong(String url, String sql) {
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement st = c.createStatement();
             var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
