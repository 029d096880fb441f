package dev.warden.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A throw-away embedded PostgreSQL in a new temporary directory, for drills, benchmarks and tests:
 * {@link #close()} stops it and deletes its data. It can be stopped and started again on the same
 * directory and port, to stage an outage. Unlike the persistent {@link EmbeddedDatabase#start(Path, int)},
 * it keeps zonky's fast settings ({@code fsync} and {@code synchronous_commit} off, unless the
 * settings say otherwise) and trusts loopback connections (user {@code postgres}, no password).
 */
public final class ThrowawayDatabase implements AutoCloseable {

    private final Path dir;
    private final Map<String, String> settings;
    private final int port;
    private EmbeddedDatabase db; // guarded by this; null while stopped

    private ThrowawayDatabase(Path dir, Map<String, String> settings, EmbeddedDatabase db) {
        this.dir = dir;
        this.settings = settings;
        this.db = db;
        this.port = db.port();
    }

    /**
     * Starts a fresh server in a new temporary directory named after {@code prefix}, with extra
     * server settings ({@code postgresql.conf} names, e.g. {@code fsync=off}).
     */
    public static ThrowawayDatabase start(String prefix, Map<String, String> settings) {
        Path dir;
        try {
            dir = Files.createTempDirectory(prefix).resolve("data");
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create a temporary directory for the embedded PostgreSQL", e);
        }
        Map<String, String> copy = Map.copyOf(settings);
        return new ThrowawayDatabase(dir, copy, EmbeddedDatabase.startThrowaway(dir, 0, copy));
    }

    /** The port it listens on, the same across restarts. */
    public int port() {
        return port;
    }

    /** JDBC URL of its {@code postgres} database, the same across restarts. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public synchronized boolean running() {
        return db != null;
    }

    /** Stops the server (fast shutdown: sessions are terminated); the data stays. */
    public synchronized void stop() {
        if (db != null) {
            db.close();
            db = null;
        }
    }

    /** Starts it again on the same directory and port; returns when it accepts connections. */
    public synchronized void restart() {
        if (db == null) {
            db = EmbeddedDatabase.startThrowaway(dir, port, settings);
        }
    }

    /** Stops the server and deletes its data. */
    @Override
    public synchronized void close() {
        stop();
        EmbeddedDatabase.deleteDirectory(dir.getParent());
    }
}
