package dev.warden.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Patroni cluster on loopback, for tests and drills: one etcd (v3 API) and two or three
 * Patroni members, each managing its own PostgreSQL (Patroni runs {@code initdb} on the first member
 * and {@code pg_basebackup} for the others). Everything lives in one temporary directory (logs
 * included) and listens on free 127.0.0.1 ports; {@link #close()} ends every process it started and
 * deletes the directory.
 *
 * <p><b>Prerequisites</b>: Debian's {@code patroni} and {@code etcd-server} packages, and a complete
 * PostgreSQL installation (Debian's {@code postgresql}), found as the newest
 * {@code /usr/lib/postgresql/<major>/bin} or named by {@code WARDEN_PATRONI_PG_BIN}. The embedded
 * PostgreSQL's bundle cannot serve: it holds {@code initdb}, {@code pg_ctl} and {@code postgres}
 * only, and Patroni also runs {@code pg_controldata} (which must match the server's major version),
 * {@code pg_isready} and {@code pg_basebackup}. {@link #unavailable()} says what is missing.
 *
 * <p><b>As root</b>: PostgreSQL refuses to run as root, so each Patroni member (and with it
 * {@code initdb}, {@code pg_basebackup} and the postmaster it starts) runs in a new user namespace
 * ({@code unshare -U}), as the embedded PostgreSQL does: inside it the process is an unprivileged
 * user, outside its files belong to the caller. Nothing is installed, no user is created.
 *
 * <p>PostgreSQL trusts loopback connections (user {@value #USER}, no password).
 */
public final class PatroniCluster implements AutoCloseable {

    /** The superuser, trusted on loopback without a password. */
    public static final String USER = "postgres";

    /** Patroni's DCS timings, in seconds. */
    public record Timings(int ttl, int loopWait, int retryTimeout) {
        /** Short timings that keep tests quick: a crashed leader is replaced within about 12 s. */
        public static final Timings FAST = new Timings(10, 2, 5);
        /** Patroni's own defaults (ttl 30, loop_wait 10, retry_timeout 10): what production runs. */
        public static final Timings PATRONI_DEFAULTS = new Timings(30, 10, 10);
    }

    /** One member: its Patroni name, PostgreSQL port, REST API port and data directory. */
    public record Member(String name, int pgPort, int restPort, Path dataDir) {
        /** The URL of this member's PostgreSQL alone. */
        public String jdbcUrl() {
            return "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres";
        }

        /** Its Patroni REST API, e.g. {@code http://127.0.0.1:8008}. */
        public URI restApi() {
            return URI.create("http://127.0.0.1:" + restPort);
        }
    }

    private static final Duration START_DEADLINE = Duration.ofSeconds(120);

    private final Path base;
    private final Path binDir;
    private final Timings timings;
    private final boolean synchronous;
    private final String scope;
    private final int etcdPort;
    private final int etcdPeerPort;
    private final List<Member> members = new ArrayList<>();
    private final List<Process> patronis = new ArrayList<>(); // by member index; null once killed
    private Process etcd;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private PatroniCluster(Path base, Path binDir, Timings timings, boolean synchronous) throws IOException {
        this.base = base;
        this.binDir = binDir;
        this.timings = timings;
        this.synchronous = synchronous;
        this.scope = "warden-" + Long.toHexString(System.nanoTime() & 0xffffff);
        this.etcdPort = freePort();
        this.etcdPeerPort = freePort();
    }

    /**
     * Why a cluster cannot be started on this machine (a missing program), or empty when it can.
     * Tests skip on it, except under {@code CI=true}, where a missing prerequisite is a failure.
     */
    public static Optional<String> unavailable() {
        List<String> missing = new ArrayList<>();
        for (String program : List.of("patroni", "etcd")) {
            if (onPath(program).isEmpty()) {
                missing.add(program + " (Debian: apt-get install " + (program.equals("etcd") ? "etcd-server" : program) + ")");
            }
        }
        if (findBinDir().isEmpty()) {
            missing.add("a PostgreSQL installation with pg_basebackup and pg_controldata (Debian: apt-get install"
                    + " postgresql, or WARDEN_PATRONI_PG_BIN=<its bin directory>)");
        }
        return missing.isEmpty() ? Optional.empty() : Optional.of("missing: " + String.join("; ", missing));
    }

    /** Starts etcd and {@code memberCount} members (2 or 3); returns once a leader serves writes and every replica streams. */
    public static PatroniCluster start(int memberCount, Timings timings) {
        return start(memberCount, timings, false);
    }

    /**
     * Like {@link #start(int, Timings)}; with {@code synchronous}, Patroni's synchronous mode
     * ({@code synchronous_mode: true}): a commit is acknowledged only once a replica has it, and only
     * that replica may be promoted, so a crash of the leader loses no acknowledged commit.
     */
    public static PatroniCluster start(int memberCount, Timings timings, boolean synchronous) {
        if (memberCount < 2 || memberCount > 3) {
            throw new IllegalArgumentException("memberCount must be 2 or 3, not " + memberCount);
        }
        unavailable().ifPresent(why -> {
            throw new IllegalStateException("Cannot start a Patroni cluster: " + why);
        });
        PatroniCluster cluster = null;
        try {
            cluster = new PatroniCluster(Files.createTempDirectory("warden-patroni"), findBinDir().orElseThrow(), timings,
                    synchronous);
            cluster.startEtcd();
            for (int i = 0; i < memberCount; i++) {
                cluster.addMember(i);
                if (i == 0) {
                    cluster.awaitLeader(START_DEADLINE); // the first member bootstraps; the others clone it
                }
            }
            cluster.awaitReplicas(START_DEADLINE);
            return cluster;
        } catch (IOException e) {
            if (cluster != null) {
                cluster.close();
            }
            throw new UncheckedIOException("Could not start a Patroni cluster", e);
        } catch (RuntimeException e) {
            if (cluster != null) {
                cluster.close();
            }
            throw e;
        }
    }

    /** The members, in start order. */
    public List<Member> members() {
        return List.copyOf(members);
    }

    /** The timings it runs with. */
    public Timings timings() {
        return timings;
    }

    /** The directory with the data directories and every process's log. */
    public Path directory() {
        return base;
    }

    /** {@code jdbc:postgresql://m1,m2,m3/postgres?targetServerType=primary}: whichever member is the primary. */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + members.stream().map(m -> "127.0.0.1:" + m.pgPort()).collect(Collectors.joining(","))
                + "/postgres?targetServerType=primary";
    }

    /** The superuser to connect as ({@value #USER}, no password). */
    public String user() {
        return USER;
    }

    /** The member whose REST API answers 200 on {@code /primary} now, if any. */
    public Optional<Member> leader() {
        for (int i = 0; i < members.size(); i++) {
            if (patronis.get(i) != null && status(members.get(i), "/primary") == 200) {
                return Optional.of(members.get(i));
            }
        }
        return Optional.empty();
    }

    /** Waits until a member is the primary; returns it. */
    public Member awaitLeader(Duration deadline) {
        return await(deadline, "a leader", () -> leader().orElse(null));
    }

    /**
     * A planned switchover through Patroni's REST API ({@code POST /switchover}): Patroni stops the
     * leader's PostgreSQL (fast shutdown: sessions end with 57P01), promotes a replica, and restarts
     * the old leader as a replica. Returns the new leader once it serves writes.
     */
    public Member switchover() {
        Member old = awaitLeader(Duration.ofSeconds(60));
        String body = "{\"leader\": \"" + old.name() + "\"}";
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(old.restApi().resolve("/switchover"))
                    .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("Patroni refused the switchover from " + old.name() + ": "
                        + r.statusCode() + " " + r.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not ask Patroni for a switchover", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during a switchover", e);
        }
        return await(Duration.ofSeconds(60), "a new leader after the switchover",
                () -> leader().filter(m -> !m.equals(old)).orElse(null));
    }

    /**
     * Kills the leader's whole member as a crashed host would: its Patroni process and its
     * PostgreSQL (postmaster and backends), all with SIGKILL. The leader key in etcd stays until
     * the ttl expires; then a replica is promoted. Returns the killed member.
     */
    public Member crashLeader() {
        Member old = awaitLeader(Duration.ofSeconds(60));
        int i = members.indexOf(old);
        Process p = patronis.set(i, null);
        if (p != null) {
            p.destroyForcibly();
            waitFor(p);
        }
        killPostmaster(old, "KILL");
        return old;
    }

    /**
     * Kills only the leader's postmaster and backends (SIGKILL); its Patroni survives and restarts
     * PostgreSQL within a loop (a crash restart, not a failover). Returns that member.
     */
    public Member crashLeaderPostgres() {
        Member old = awaitLeader(Duration.ofSeconds(60));
        killPostmaster(old, "KILL");
        return old;
    }

    /** Whether {@code member}'s Patroni process runs (false after {@link #crashLeader()}). */
    public boolean running(Member member) {
        Process p = patronis.get(members.indexOf(member));
        return p != null && p.isAlive();
    }

    /** The last lines of a member's Patroni log (with its PostgreSQL's log lines), for failure messages. */
    public String logTail(Member member, int lines) {
        return tail(base.resolve(member.name() + ".log"), lines);
    }

    /** Ends every Patroni, PostgreSQL and etcd process it started and deletes its directory. */
    @Override
    public void close() {
        for (int i = 0; i < patronis.size(); i++) {
            Process p = patronis.set(i, null);
            if (p != null) {
                p.destroyForcibly();
                waitFor(p);
            }
        }
        for (Member m : members) {
            killPostmaster(m, "KILL");
        }
        if (etcd != null) {
            etcd.destroyForcibly();
            waitFor(etcd);
        }
        deleteTree(base);
    }

    private void startEtcd() throws IOException {
        Path log = base.resolve("etcd.log");
        etcd = new ProcessBuilder("etcd", "--name", "etcd0", "--data-dir", base.resolve("etcd").toString(),
                "--listen-client-urls", "http://127.0.0.1:" + etcdPort,
                "--advertise-client-urls", "http://127.0.0.1:" + etcdPort,
                "--listen-peer-urls", "http://127.0.0.1:" + etcdPeerPort,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + etcdPeerPort,
                "--initial-cluster", "etcd0=http://127.0.0.1:" + etcdPeerPort,
                "--initial-cluster-state", "new")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await(Duration.ofSeconds(30), "etcd on port " + etcdPort,
                () -> status(URI.create("http://127.0.0.1:" + etcdPort + "/health")) == 200 ? Boolean.TRUE : null);
    }

    private void addMember(int index) throws IOException {
        Member m = new Member("m" + index, freePort(), freePort(), base.resolve("m" + index));
        Path config = base.resolve(m.name() + ".yml");
        Files.writeString(config, config(m));
        List<String> cmd = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.addAll(List.of("unshare", "-U"));
        }
        cmd.addAll(List.of(onPath("patroni").orElseThrow().toString(), config.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(base.resolve(m.name() + ".log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("PATRONI") || k.startsWith("PG"));
        members.add(m);
        patronis.add(pb.start());
    }

    private String config(Member m) {
        return """
                scope: %s
                name: %s
                log:
                  level: INFO
                restapi:
                  listen: 127.0.0.1:%d
                  connect_address: 127.0.0.1:%d
                etcd3:
                  host: 127.0.0.1:%d
                bootstrap:
                  dcs:
                    ttl: %d
                    loop_wait: %d
                    retry_timeout: %d
                    maximum_lag_on_failover: 1048576
                    synchronous_mode: %s
                    postgresql:
                      use_pg_rewind: false
                      parameters:
                        max_connections: 200
                        fsync: 'off'
                        wal_keep_size: 128MB
                  initdb:
                  - encoding: UTF8
                  - auth: trust
                  pg_hba:
                  - host replication all 127.0.0.1/32 trust
                  - host all all 127.0.0.1/32 trust
                postgresql:
                  listen: 127.0.0.1:%d
                  connect_address: 127.0.0.1:%d
                  data_dir: %s
                  bin_dir: %s
                  pgpass: %s
                  authentication:
                    replication:
                      username: replicator
                      password: replicator
                    superuser:
                      username: postgres
                      password: postgres
                  parameters:
                    unix_socket_directories: ''
                """.formatted(scope, m.name(), m.restPort(), m.restPort(), etcdPort,
                timings.ttl(), timings.loopWait(), timings.retryTimeout(), synchronous,
                m.pgPort(), m.pgPort(), m.dataDir(), binDir, base.resolve(m.name() + ".pgpass"));
    }

    /**
     * Waits until there is a leader and every running member other than it is a streaming replica
     * (in synchronous mode, one of them the synchronous standby).
     */
    public void awaitReplicas(Duration deadline) {
        await(deadline, "every replica streaming", () -> {
            Member leader = leader().orElse(null);
            if (leader == null) {
                return null;
            }
            boolean syncStandby = false;
            int replicas = 0;
            for (Member m : members) {
                if (!m.equals(leader) && running(m) && status(m, "/replica") != 200) {
                    return null;
                }
                replicas += !m.equals(leader) && running(m) ? 1 : 0;
                syncStandby |= !m.equals(leader) && running(m) && status(m, "/sync") == 200;
            }
            // Patroni answers /replica once PostgreSQL runs in recovery, before its WAL receiver has
            // connected; a commit made then reaches the replica only later, and a switchover in that
            // window promotes a replica without it. So the leader must see every replica streaming.
            if (streamingReplicas(leader) < replicas) {
                return null;
            }
            // In synchronous mode Patroni names a synchronous standby a loop later; a switchover needs one.
            return !synchronous || syncStandby ? Boolean.TRUE : null;
        });
    }

    /** How many standbys the member's walsenders stream to now; -1 when it cannot be asked. */
    private int streamingReplicas(Member leader) {
        String url = "jdbc:postgresql://127.0.0.1:" + leader.pgPort() + "/postgres?connectTimeout=5&socketTimeout=10";
        try (Connection c = DriverManager.getConnection(url, USER, "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from pg_stat_replication where state = 'streaming'")) {
            return rs.next() ? rs.getInt(1) : -1;
        } catch (SQLException e) {
            return -1;
        }
    }

    private void killPostmaster(Member m, String signal) {
        Path pidFile = m.dataDir().resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty() || !h.get().info().command().map(c -> c.endsWith("postgres")).orElse(true)) {
                return; // not running (or the pid was reused)
            }
            Signals.send(signal, Signals.withDescendants(pid));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (running(pid) && System.nanoTime() - end < 0) {
                Thread.sleep(20);
            }
        } catch (Exception e) {
            // best effort: a stale or unreadable pid file means there is nothing to kill
        }
    }

    /**
     * Whether a process runs: a killed postmaster's parent is init (Patroni detaches it), which may
     * reap it late, so a zombie counts as ended.
     */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private int status(Member m, String path) {
        return status(m.restApi().resolve(path));
    }

    private int status(URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private <T> T await(Duration deadline, String what, java.util.function.Supplier<T> probe) {
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            T t = probe.get();
            if (t != null) {
                return t;
            }
            if (System.nanoTime() - end > 0 || Thread.currentThread().isInterrupted()) {
                StringBuilder logs = new StringBuilder();
                for (Member m : members) {
                    logs.append("\n--- ").append(m.name()).append(".log ---\n").append(logTail(m, 12));
                }
                throw new IllegalStateException("No " + what + " within " + deadline.toSeconds() + " s" + logs);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void waitFor(Process p) {
        try {
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static Optional<Path> onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** {@code WARDEN_PATRONI_PG_BIN}, else the newest {@code /usr/lib/postgresql/<major>/bin} with every program Patroni runs. */
    static Optional<Path> findBinDir() {
        String named = System.getenv("WARDEN_PATRONI_PG_BIN");
        if (named != null && !named.isBlank()) {
            return Optional.of(Path.of(named)).filter(PatroniCluster::complete);
        }
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> majors = Files.list(root)) {
            return majors.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .sorted(Comparator.comparingInt((Path p) -> Integer.parseInt(p.getFileName().toString())).reversed())
                    .map(p -> p.resolve("bin")).filter(PatroniCluster::complete).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean complete(Path bin) {
        return Stream.of("postgres", "initdb", "pg_ctl", "pg_controldata", "pg_isready", "pg_basebackup")
                .allMatch(p -> Files.isExecutable(bin.resolve(p)));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) {
        ThrowawayDatabase.deleteDirectory(dir);
    }
}
