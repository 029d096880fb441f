package dev.warden.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A throw-away embedded PostgreSQL in a new temporary directory, for drills, benchmarks and tests:
 * {@link #close()} stops it and deletes its data. It can be stopped and started again on the same
 * directory and port, to stage an outage. It keeps zonky's fast settings ({@code fsync} and
 * {@code synchronous_commit} off, unless the settings say otherwise) and trusts loopback connections
 * (user {@value #USER}, no password). One left open is stopped and deleted when the JVM exits.
 * Never for data that must survive.
 */
public final class ThrowawayDatabase implements AutoCloseable {

    /** The superuser, trusted on loopback without a password. */
    public static final String USER = "postgres";

    private final Path dir;
    private final Map<String, String> settings;
    private final int port;
    private EmbeddedPostgres server; // guarded by this; null while stopped
    /**
     * Stops the server and deletes its data when the JVM exits without {@link #close()}. The only hook:
     * zonky's own would run in parallel with it (or with a caller's), and its close returns at once
     * while the other is still stopping, so the directory was deleted under a server being stopped
     * (and left behind, or the server orphaned when {@code pg_ctl} found no {@code postmaster.pid}).
     */
    private final Thread exitHook = new Thread(this::close, "throwaway-postgres-exit");

    private ThrowawayDatabase(Path dir, Map<String, String> settings, EmbeddedPostgres server) {
        this.dir = dir;
        this.settings = settings;
        this.server = server;
        this.port = server.getPort();
        Runtime.getRuntime().addShutdownHook(exitHook);
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
        copyTemplate(dir);
        return new ThrowawayDatabase(dir, copy, startOn(dir, 0, copy, false));
    }

    /** A cluster made by initdb once per JVM and shut down cleanly; null until the first start. */
    private static Path template; // guarded by ThrowawayDatabase.class

    /**
     * Fills {@code dir} with a copy of this JVM's template cluster, so that zonky finds a cluster and
     * skips initdb: a fresh server costs a copy of ~40 MB instead of an initdb (about 1 s of CPU, 2 s
     * on a busy machine; a test suite starts dozens). The server settings are not in the copy: zonky
     * passes them on the command line at every start. The template is deleted when the JVM exits.
     */
    private static void copyTemplate(Path dir) {
        Path from;
        synchronized (ThrowawayDatabase.class) {
            if (template == null) {
                Path t;
                try {
                    t = Files.createTempDirectory("warden-pg-template").resolve("data");
                } catch (IOException e) {
                    throw new UncheckedIOException("Could not create a temporary directory for the template cluster", e);
                }
                try (EmbeddedPostgres initialised = startOn(t, 0, Map.of(), false)) {
                    // initdb, one start, and a clean shutdown when closed: a consistent cluster to copy
                } catch (IOException e) {
                    deleteDirectory(t.getParent());
                    throw new UncheckedIOException("The template cluster did not stop cleanly", e);
                }
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteDirectory(t.getParent()),
                        "throwaway-postgres-template-exit"));
                template = t;
            }
            from = template;
        }
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                String name = p.getFileName().toString();
                if (name.equals("epg-lock") || name.startsWith("postmaster.")) {
                    continue; // zonky's lock and the stopped postmaster's files belong to the template's run
                }
                // parents first (walk order); a directory is created empty, with its mode (0700: the
                // server refuses a data directory others can read)
                Files.copy(p, dir.resolve(from.relativize(p).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not copy the template cluster to " + dir, e);
        }
    }

    /** Starts a fresh server with zonky's fast settings and nothing else. */
    public static ThrowawayDatabase start(String prefix) {
        return start(prefix, Map.of());
    }

    /**
     * Starts a server on {@code dataDir} (initialised on first use, reused after) and port ({@code 0}
     * for any free one), trusting loopback. For fixtures that manage the directory themselves (a
     * streaming pair, a standby): the caller stops it and deletes the directory.
     */
    public static EmbeddedPostgres startOn(Path dataDir, int port, Map<String, String> settings) {
        return startOn(dataDir, port, settings, true);
    }

    /** As above; {@code stopAtExit} registers zonky's hook that stops the server when the JVM exits. */
    private static EmbeddedPostgres startOn(Path dataDir, int port, Map<String, String> settings, boolean stopAtExit) {
        try {
            Files.createDirectories(dataDir);
            Map<String, String> all = new LinkedHashMap<>();
            all.put("listen_addresses", "127.0.0.1");
            all.put("max_connections", "300");
            all.putAll(settings);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(stopAtExit)
                    .setPGStartupWait(Duration.ofSeconds(60));
            all.forEach(builder::setServerConfig);
            if (port > 0) {
                builder.setPort(port);
            }
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the embedded PostgreSQL in " + dataDir, e);
        }
    }

    /** The port it listens on, the same across restarts. */
    public int port() {
        return port;
    }

    /** JDBC URL of its {@code postgres} database, the same across restarts. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    /** The superuser to connect as ({@value #USER}, no password). */
    public String user() {
        return USER;
    }

    /** The data directory. */
    public Path dataDir() {
        return dir;
    }

    /** The postmaster's process id, read from {@code postmaster.pid} (for SIGSTOP/SIGCONT stalls). */
    public long postmasterPid() {
        try {
            return Long.parseLong(Files.readAllLines(dir.resolve("postmaster.pid")).get(0).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the postmaster's pid in " + dir, e);
        }
    }

    public synchronized boolean running() {
        return server != null;
    }

    /** Stops the server (fast shutdown: sessions are terminated); the data stays. */
    public synchronized void stop() {
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                throw new UncheckedIOException("The embedded PostgreSQL did not stop cleanly", e);
            } finally {
                server = null;
            }
        }
    }

    /**
     * Stops the server at once, as {@code pg_ctl stop -m immediate} does (SIGQUIT to the postmaster):
     * every session gets a WARNING and a closed socket, no FATAL, so a COMMIT in flight has an
     * unknown outcome; {@link #restart()} then recovers from the WAL. The data stays.
     */
    public synchronized void stopImmediately() {
        if (server == null) {
            return;
        }
        long pid = postmasterPid();
        Signals.send("QUIT", pid);
        // The postmaster removes its pid file as it exits (a process handle cannot tell: a daemon
        // whose parent does not reap it stays a zombie, "alive").
        Path pidFile = dir.resolve("postmaster.pid");
        Polling.await(Duration.ofSeconds(60), "exit of the postmaster " + pid + " after SIGQUIT",
                () -> Files.exists(pidFile) ? null : Boolean.TRUE, () -> "");
        try {
            server.close(); // nothing left to stop; releases zonky's lock on the data directory
        } catch (IOException e) {
            throw new UncheckedIOException("Could not release the embedded PostgreSQL's data directory", e);
        } finally {
            server = null;
        }
    }

    /** Starts it again on the same directory and port; returns when it accepts connections. */
    public synchronized void restart() {
        if (server == null) {
            server = startOn(dir, port, settings, false);
        }
    }

    /** Stops the server and deletes its data. */
    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            deleteDirectory(dir.getParent());
            if (Thread.currentThread() != exitHook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(exitHook);
                } catch (IllegalStateException exiting) {
                    // the JVM is exiting: the hook runs, and finds nothing left to do
                }
            }
        }
    }

    /**
     * Deletes a directory tree (a stopped server's data). A failure is ignored: it must not hide the
     * result of the work that ran before.
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
            // best effort: a temporary directory left behind costs disk, not correctness
        }
    }
}
