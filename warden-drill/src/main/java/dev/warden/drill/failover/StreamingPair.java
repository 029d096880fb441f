package dev.warden.drill.failover;

import dev.warden.testing.ThrowawayDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Two PostgreSQL servers on loopback, a primary and a streaming standby, made from the embedded
 * PostgreSQL binaries (the zonky bundle has {@code initdb}, {@code pg_ctl} and {@code postgres}, no
 * {@code pg_basebackup}; {@code pg_ctl} refuses to run as root, so the servers are run (as root:
 * in a user namespace, {@code unshare -U}, as the embedded server does) and signalled directly: SIGQUIT is {@code pg_ctl stop -m immediate}, SIGINT is {@code -m fast}, and
 * {@code pg_promote()} promotes): the standby is a copy of the primary's data directory taken while the
 * primary is stopped, with {@code standby.signal} and {@code primary_conninfo}. Each server keeps
 * its port and directory; the roles swap at each promotion. With {@code sync}, the primary waits
 * for the standby's flush before acknowledging a commit ({@code synchronous_standby_names}); a
 * promoted standby runs without a synchronous standby until one is rebuilt (as Patroni's
 * non-strict synchronous mode does).
 */
final class StreamingPair implements AutoCloseable {

    private static final String STANDBY_NAME = "warden_standby";

    /** One server: its data directory and port. */
    record Node(String name, Path dir, int port) {
        String jdbcUrl() {
            return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
        }
    }

    private final Path base;
    private final Path bin;
    private final boolean sync;
    private final Node first;
    private final Node second;
    private Node primary;
    private Node standby;
    private final java.util.Map<Node, Process> running = new java.util.HashMap<>();

    private StreamingPair(Path base, Path bin, boolean sync, Node first, Node second) {
        this.base = base;
        this.bin = bin;
        this.sync = sync;
        this.first = first;
        this.second = second;
        this.primary = first;
        this.standby = second;
    }

    /** A primary with a streaming standby, both running; synchronous replication when {@code sync}. */
    static StreamingPair start(boolean sync) throws Exception {
        Path base = Files.createTempDirectory("warden-failover");
        Node a = new Node("a", base.resolve("a"), freePort());
        Node b = new Node("b", base.resolve("b"), freePort());
        // The embedded server's first start unpacks the binaries and runs initdb; from then on pg_ctl runs them.
        Path bin;
        // A throw-away server: trust on loopback, as the replication set-up below expects.
        try (var first = ThrowawayDatabase.startOn(a.dir(), a.port(), java.util.Map.of())) {
            long pid = Long.parseLong(Files.readAllLines(a.dir().resolve("postmaster.pid")).get(0).trim());
            bin = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).getParent();
        }
        StreamingPair pair = new StreamingPair(base, bin, sync, a, b);
        try {
            pair.copyToStandby();
            pair.startServer(a);
            pair.startServer(b);
            pair.awaitStreaming();
            return pair;
        } catch (Exception e) {
            pair.close();
            throw e;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** {@code jdbc:postgresql://h1,h2/postgres?targetServerType=primary}: whichever of the two is writable. */
    String multiHostUrl() {
        return "jdbc:postgresql://127.0.0.1:" + first.port() + ",127.0.0.1:" + second.port()
                + "/postgres?targetServerType=primary";
    }

    Node primary() {
        return primary;
    }

    Node standby() {
        return standby;
    }

    /** Kills the primary as a crash would ({@code pg_ctl stop -m immediate}: no shutdown checkpoint). */
    void crashPrimary() throws Exception {
        stopServer(primary, "QUIT");
    }

    /** Promotes the standby and waits until it accepts writes; the roles swap. */
    void promoteStandby() throws Exception {
        sql(standby, "select pg_promote(true, 60)");
        Node old = primary;
        primary = standby;
        standby = old;
    }

    /**
     * Makes a new standby of the current primary in the other server's directory: the primary is
     * stopped cleanly (a short outage), its directory copied, both started, and streaming awaited.
     */
    void rebuildStandby() throws Exception {
        stopServer(standby, "QUIT"); // already down after a crash; harmless otherwise
        stopServer(primary, "INT");
        copyToStandby();
        startServer(primary);
        startServer(standby);
        awaitStreaming();
    }

    /** Runs statements on one server, auto-commit on. */
    static void sql(Node node, String... statements) throws SQLException {
        try (Connection c = DriverManager.getConnection(node.jdbcUrl(), "postgres", "");
             Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    static long queryLong(Node node, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(node.jdbcUrl(), "postgres", "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void copyToStandby() throws IOException {
        ThrowawayDatabase.deleteDirectory(standby.dir());
        Path from = primary.dir();
        Path to = standby.dir();
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                String name = p.getFileName().toString();
                if (name.equals("postmaster.pid") || name.equals("postmaster.opts")) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        // Settings that belong to one role only: the standby follows the primary and never waits for a standby.
        rewriteAutoConf(primary.dir(), sync ? "synchronous_standby_names = '" + STANDBY_NAME + "'" : null);
        rewriteAutoConf(to, "primary_conninfo = 'host=127.0.0.1 port=" + primary.port() + " user=postgres"
                + " application_name=" + STANDBY_NAME + "'");
        Files.writeString(to.resolve("standby.signal"), "");
        Files.deleteIfExists(from.resolve("standby.signal"));
    }

    /** Drops the role-specific lines of postgresql.auto.conf and adds {@code line} (when not null). */
    private static void rewriteAutoConf(Path dir, String line) throws IOException {
        Path conf = dir.resolve("postgresql.auto.conf");
        List<String> kept = new ArrayList<>();
        if (Files.exists(conf)) {
            for (String l : Files.readAllLines(conf)) {
                String t = l.trim();
                if (!t.startsWith("primary_conninfo") && !t.startsWith("synchronous_standby_names")
                        && !t.startsWith("default_transaction_read_only")) {
                    kept.add(l);
                }
            }
        }
        if (line != null) {
            kept.add(line);
        }
        Files.write(conf, kept);
    }

    private void awaitStreaming() throws Exception {
        String state = sync ? "state = 'streaming' and sync_state = 'sync'" : "state = 'streaming'";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (queryLong(primary, "select count(*) from pg_stat_replication where " + state) < 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the standby on port " + standby.port() + " did not start streaming"
                        + " from the primary on port " + primary.port() + " within 60 s; see " + base);
            }
            Thread.sleep(20);
        }
    }

    /** Starts the server of {@code node} and waits until it accepts connections (a standby: read-only ones). */
    private void startServer(Node node) throws Exception {
        List<String> cmd = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            // PostgreSQL refuses to run as root; like the embedded server, run it in a user namespace.
            cmd.addAll(List.of("unshare", "-U"));
        }
        cmd.addAll(List.of(bin.resolve("postgres").toString(), "-D", node.dir().toString()));
        for (String setting : settings(node)) {
            cmd.add("-c");
            cmd.add(setting);
        }
        java.io.File log = base.resolve(node.name() + ".log").toFile();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        running.put(node, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Connection c = DriverManager.getConnection(node.jdbcUrl(), "postgres", "")) {
                return;
            } catch (SQLException notYet) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    List<String> lines = Files.readAllLines(log.toPath());
                    throw new IllegalStateException("PostgreSQL in " + node.dir() + " did not start: "
                            + notYet.getMessage() + "; its log ends with:\n"
                            + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
                }
                Thread.sleep(20);
            }
        }
    }

    /** Sends the postmaster {@code signal} (QUIT: immediate, INT: fast shutdown) and waits for it to exit. */
    private void stopServer(Node node, String signal) throws Exception {
        Process p = running.remove(node);
        if (p == null || !p.isAlive()) {
            return;
        }
        new ProcessBuilder("kill", "-s", signal, String.valueOf(p.pid())).inheritIO().start().waitFor();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    private static List<String> settings(Node node) {
        return List.of("port=" + node.port(), "listen_addresses=127.0.0.1", "unix_socket_directories=",
                "max_connections=300", "wal_level=replica", "max_wal_senders=10", "hot_standby=on",
                "wal_keep_size=128MB", "fsync=off", "shared_buffers=32MB", "wal_receiver_status_interval=1s");
    }

    /** Stops both servers and deletes their directories. */
    @Override
    public void close() {
        for (Node n : List.of(first, second)) {
            try {
                stopServer(n, "QUIT");
            } catch (Exception e) {
                Process p = running.remove(n);
                if (p != null) {
                    p.destroyForcibly();
                }
            }
        }
        try {
            ThrowawayDatabase.deleteDirectory(base);
        } catch (RuntimeException e) {
            // a temporary directory
        }
    }
}
