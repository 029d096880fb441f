package dev.warden.drill;

import dev.warden.embedded.EmbeddedDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@code pg_basebackup}): the standby is a copy of the primary's data directory taken while the
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
        try (EmbeddedDatabase first = EmbeddedDatabase.start(a.dir(), a.port())) {
            long pid = Long.parseLong(Files.readAllLines(a.dir().resolve("postmaster.pid")).get(0).trim());
            bin = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).getParent();
        }
        StreamingPair pair = new StreamingPair(base, bin, sync, a, b);
        try {
            pair.copyToStandby();
            pair.pgCtl(a, "start");
            pair.pgCtl(b, "start");
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
        pgCtl(primary, "stop", "-m", "immediate");
    }

    /** Promotes the standby and waits until it accepts writes; the roles swap. */
    void promoteStandby() throws Exception {
        pgCtl(standby, "promote");
        Node old = primary;
        primary = standby;
        standby = old;
    }

    /**
     * Makes a new standby of the current primary in the other server's directory: the primary is
     * stopped cleanly (a short outage), its directory copied, both started, and streaming awaited.
     */
    void rebuildStandby() throws Exception {
        pgCtl(standby, "stop", "-m", "immediate"); // already down after a crash; harmless otherwise
        pgCtl(primary, "stop", "-m", "fast");
        copyToStandby();
        pgCtl(primary, "start");
        pgCtl(standby, "start");
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
        EmbeddedDatabase.deleteDirectory(standby.dir());
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
                } else {
                    Files.copy(p, target);
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

    private void pgCtl(Node node, String action, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(bin.resolve("pg_ctl").toString(), "-D", node.dir().toString(), "-w",
                "-t", "60"));
        if (action.equals("start")) {
            cmd.addAll(List.of("-l", base.resolve(node.name() + ".log").toString(), "-o", serverOptions(node)));
        }
        cmd.add(action);
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(base.resolve("pg_ctl.log").toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("pg_ctl " + action + " of " + node.dir() + " did not finish in 90 s");
        }
        if (p.exitValue() != 0 && !(action.equals("stop") && !Files.exists(node.dir().resolve("postmaster.pid")))) {
            throw new IllegalStateException("pg_ctl " + action + " of " + node.dir() + " failed (exit " + p.exitValue()
                    + "): " + Files.readString(base.resolve("pg_ctl.log")).trim());
        }
    }

    private static String serverOptions(Node node) {
        return String.join(" ", "-c port=" + node.port(), "-c listen_addresses=127.0.0.1",
                "-c unix_socket_directories=''", "-c max_connections=100", "-c wal_level=replica",
                "-c max_wal_senders=5", "-c hot_standby=on", "-c wal_keep_size=128MB", "-c fsync=off",
                "-c shared_buffers=32MB", "-c wal_receiver_status_interval=1s");
    }

    /** Stops both servers and deletes their directories. */
    @Override
    public void close() {
        for (Node n : List.of(first, second)) {
            try {
                if (Files.exists(n.dir().resolve("postmaster.pid"))) {
                    pgCtl(n, "stop", "-m", "immediate");
                }
            } catch (Exception e) {
                // best effort: the directory goes anyway
            }
        }
        try {
            EmbeddedDatabase.deleteDirectory(base);
        } catch (RuntimeException e) {
            // a temporary directory
        }
    }
}
