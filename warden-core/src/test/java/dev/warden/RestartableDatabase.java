package dev.warden;

import dev.warden.embedded.EmbeddedDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * An embedded PostgreSQL of its own (not the shared {@link TestDatabase}) that a test stops and
 * starts again on the same directory and port.
 */
public final class RestartableDatabase implements AutoCloseable {

    private static final Map<String, String> SETTINGS = Map.of("fsync", "off");

    private final Path dir;
    private final int port;
    private EmbeddedDatabase db;

    private RestartableDatabase(Path dir, EmbeddedDatabase db) {
        this.dir = dir;
        this.db = db;
        this.port = db.port();
    }

    /** Starts a fresh one in a temporary directory. */
    public static RestartableDatabase start() {
        try {
            Path dir = Files.createTempDirectory("warden-restart-pg").resolve("data");
            return new RestartableDatabase(dir, EmbeddedDatabase.start(dir, 0, SETTINGS));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public synchronized boolean running() {
        return db != null;
    }

    /** Stops the server (fast shutdown: sessions are terminated). */
    public synchronized void stop() {
        if (db != null) {
            db.close();
            db = null;
        }
    }

    /** Starts it again on the same directory and port; returns when it accepts connections. */
    public synchronized void restart() {
        if (db == null) {
            db = EmbeddedDatabase.start(dir, port, SETTINGS);
        }
    }

    @Override
    public synchronized void close() {
        stop();
        EmbeddedDatabase.deleteDirectory(dir.getParent());
    }
}
