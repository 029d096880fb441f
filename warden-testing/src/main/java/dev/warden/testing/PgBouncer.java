package dev.warden.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A real PgBouncer process ({@value #BINARY}, Debian's {@code pgbouncer} package) in front of a
 * {@link ThrowawayDatabase}, for tests and drills: its configuration and auth file in a temporary
 * directory, listening on 127.0.0.1 on a free port, every database name routed to the server, the
 * admin console (database {@code pgbouncer}, admin user {@value ThrowawayDatabase#USER}) driving
 * {@link #pause()}, {@link #resume()}, {@link #kill(String)} and {@link #reconnect()}.
 * <p>
 * {@link #available()} says whether the binary is installed: outside CI a test may skip without it;
 * under {@code CI=true} its absence must fail the build ({@link #requireUnlessSkippable()}).
 */
public final class PgBouncer implements AutoCloseable {

    /** Where Debian's package puts the binary. */
    public static final String BINARY = "/usr/sbin/pgbouncer";

    /** PgBouncer's pool modes. */
    public enum Mode { SESSION, TRANSACTION }

    private final Path dir;
    private final int port;
    private final Process process;
    private final Mode mode;

    private PgBouncer(Path dir, int port, Process process, Mode mode) {
        this.dir = dir;
        this.port = port;
        this.process = process;
        this.mode = mode;
    }

    /** True when the PgBouncer binary is installed. */
    public static boolean available() {
        return Files.isExecutable(Path.of(BINARY));
    }

    /**
     * True when a test may run; false when it may skip (PgBouncer missing outside CI).
     *
     * @throws IllegalStateException when PgBouncer is missing under {@code CI=true}
     */
    public static boolean requireUnlessSkippable() {
        if (available()) {
            return true;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(BINARY + " is missing, and CI=true: install Debian's pgbouncer package"
                    + " (.ci/run does it)");
        }
        return false;
    }

    /** Starts PgBouncer in {@code mode} in front of {@code db}, with PgBouncer's defaults otherwise. */
    public static PgBouncer start(ThrowawayDatabase db, Mode mode) {
        return start(db, mode, Map.of());
    }

    /**
     * Starts PgBouncer in {@code mode} in front of {@code db}, with extra settings of its
     * {@code [pgbouncer]} section (e.g. {@code ignore_startup_parameters}, {@code server_login_retry}).
     */
    public static PgBouncer start(ThrowawayDatabase db, Mode mode, Map<String, String> settings) {
        try {
            Path dir = Files.createTempDirectory("pgbouncer");
            int port = Loopback.freePort();
            Map<String, String> conf = new TreeMap<>();
            conf.put("listen_addr", "127.0.0.1");
            conf.put("listen_port", String.valueOf(port));
            conf.put("unix_socket_dir", "");
            conf.put("auth_type", "trust");
            conf.put("auth_file", dir.resolve("users.txt").toString());
            conf.put("admin_users", ThrowawayDatabase.USER);
            conf.put("pool_mode", mode.name().toLowerCase(Locale.ROOT));
            conf.put("default_pool_size", "20");
            conf.put("max_client_conn", "500");
            conf.put("server_login_retry", "1");
            conf.put("logfile", dir.resolve("pgbouncer.log").toString());
            conf.put("pidfile", dir.resolve("pgbouncer.pid").toString());
            if ("root".equals(System.getProperty("user.name"))) {
                // PgBouncer refuses to run as root unless told whom to become (a CI container runs as root).
                conf.put("user", "nobody");
                Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            conf.putAll(settings);
            StringBuilder ini = new StringBuilder("[databases]\n* = host=127.0.0.1 port=" + db.port() + "\n\n[pgbouncer]\n");
            conf.forEach((k, v) -> ini.append(k).append(" = ").append(v).append('\n'));
            Files.writeString(dir.resolve("pgbouncer.ini"), ini);
            Files.writeString(dir.resolve("users.txt"), "\"" + ThrowawayDatabase.USER + "\" \"\"\n");
            Process p = new ProcessBuilder(BINARY, dir.resolve("pgbouncer.ini").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
            PgBouncer b = new PgBouncer(dir, port, p, mode);
            b.awaitListening(Duration.ofSeconds(20));
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start " + BINARY, e);
        }
    }

    private void awaitListening(Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("pgbouncer exited with " + process.exitValue() + ": " + log());
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while starting pgbouncer", e);
                }
            }
        }
        close();
        throw new IllegalStateException("pgbouncer did not listen on 127.0.0.1:" + port + " within " + patience);
    }

    /** The port PgBouncer listens on (127.0.0.1). */
    public int port() {
        return port;
    }

    /** Its pool mode. */
    public Mode mode() {
        return mode;
    }

    /** A JDBC URL to {@code database} through PgBouncer, as a user writes it (no driver parameters). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** A JDBC URL to the {@code postgres} database through PgBouncer. */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    /** {@code PAUSE}: waits for the server connections to be released, then holds new queries. */
    public void pause() {
        admin("PAUSE");
    }

    /** {@code RESUME} after {@link #pause()} or {@link #kill(String)}. */
    public void resume() {
        admin("RESUME");
    }

    /** {@code KILL db}: drops every client and server connection of {@code db} at once and holds new ones until {@link #resume()}. */
    public void kill(String database) {
        admin("KILL " + database);
    }

    /** {@code RECONNECT}: closes each server connection once it is released, new ones are made as needed. */
    public void reconnect() {
        admin("RECONNECT");
    }

    /**
     * Runs one admin-console command with {@code psql} (PostgreSQL's client, on the PATH). Not with
     * pgjdbc: the console reports PgBouncer's own version (1.x) as the server's, for which pgjdbc
     * runs {@code SET extra_float_digits = 2} after the login, and the console refuses it
     * ("SET failed"), whatever the connection properties.
     */
    public void admin(String command) {
        try {
            ProcessBuilder pb = new ProcessBuilder("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                    "-p", String.valueOf(port), "-U", ThrowawayDatabase.USER, "-d", "pgbouncer", "-c", command)
                    .redirectErrorStream(true);
            pb.environment().put("PGCONNECT_TIMEOUT", "5");
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes(); // psql exits after the command, so this ends
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("pgbouncer admin command " + command + " did not return within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("pgbouncer admin command " + command + " failed: "
                        + new String(out, java.nio.charset.StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not run psql for the pgbouncer admin command " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the pgbouncer admin command " + command, e);
        }
    }

    /** PgBouncer's log so far. */
    public String log() {
        try {
            Path f = dir.resolve("pgbouncer.log");
            return Files.exists(f) ? Files.readString(f) : Files.readString(dir.resolve("stdout.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Stops PgBouncer and deletes its directory. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ThrowawayDatabase.deleteDirectory(dir);
    }
}
