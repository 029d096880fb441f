package dev.warden.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

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
    private final Timings timings;
    private final boolean synchronous;
    private final PatroniRest rest = new PatroniRest();
    private final List<PatroniMember> members = new ArrayList<>();
    private Etcd etcd;

    private PatroniCluster(Path base, Timings timings, boolean synchronous) {
        this.base = base;
        this.timings = timings;
        this.synchronous = synchronous;
    }

    /**
     * Why a cluster cannot be started on this machine (a missing program), or empty when it can.
     * Tests skip on it, except under {@code CI=true}, where a missing prerequisite is a failure.
     */
    public static Optional<String> unavailable() {
        return PatroniInstallation.unavailable();
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
            cluster = new PatroniCluster(Files.createTempDirectory("warden-patroni"), timings, synchronous);
            cluster.etcd = Etcd.start(cluster.base, cluster.rest);
            PatroniConfig config = new PatroniConfig("warden-" + Long.toHexString(System.nanoTime() & 0xffffff),
                    cluster.etcd.port(), timings, synchronous, PatroniInstallation.findBinDir().orElseThrow());
            for (int i = 0; i < memberCount; i++) {
                cluster.members.add(PatroniMember.start("m" + i, config, cluster.base));
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
        return members.stream().map(PatroniMember::member).toList();
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
        return "jdbc:postgresql://" + members().stream().map(m -> "127.0.0.1:" + m.pgPort()).collect(Collectors.joining(","))
                + "/postgres?targetServerType=primary";
    }

    /** The superuser to connect as ({@value #USER}, no password). */
    public String user() {
        return USER;
    }

    /** The member whose REST API answers 200 on {@code /primary} now, if any. */
    public Optional<Member> leader() {
        for (PatroniMember m : members) {
            if (m.notKilled() && rest.status(m.member(), "/primary") == 200) {
                return Optional.of(m.member());
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
        rest.switchover(old);
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
        PatroniMember m = process(old);
        m.killPatroni();
        m.killPostgres();
        return old;
    }

    /**
     * Kills only the leader's postmaster and backends (SIGKILL); its Patroni survives and restarts
     * PostgreSQL within a loop (a crash restart, not a failover). Returns that member.
     */
    public Member crashLeaderPostgres() {
        Member old = awaitLeader(Duration.ofSeconds(60));
        process(old).killPostgres();
        return old;
    }

    /** Whether {@code member}'s Patroni process runs (false after {@link #crashLeader()}). */
    public boolean running(Member member) {
        return process(member).running();
    }

    /** The last lines of a member's Patroni log (with its PostgreSQL's log lines), for failure messages. */
    public String logTail(Member member, int lines) {
        return process(member).logTail(lines);
    }

    /** Ends every Patroni, PostgreSQL and etcd process it started and deletes its directory. */
    @Override
    public void close() {
        members.forEach(PatroniMember::killPatroni); // every Patroni first, so none restarts a PostgreSQL
        members.forEach(PatroniMember::killPostgres);
        if (etcd != null) {
            etcd.close();
        }
        ThrowawayDatabase.deleteDirectory(base);
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
            for (Member m : members()) {
                if (!m.equals(leader) && running(m) && rest.status(m, "/replica") != 200) {
                    return null;
                }
                replicas += !m.equals(leader) && running(m) ? 1 : 0;
                syncStandby |= !m.equals(leader) && running(m) && rest.status(m, "/sync") == 200;
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
    private static int streamingReplicas(Member leader) {
        String url = "jdbc:postgresql://127.0.0.1:" + leader.pgPort() + "/postgres?connectTimeout=5&socketTimeout=10";
        try (Connection c = DriverManager.getConnection(url, USER, "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from pg_stat_replication where state = 'streaming'")) {
            return rs.next() ? rs.getInt(1) : -1;
        } catch (SQLException e) {
            return -1;
        }
    }

    private PatroniMember process(Member member) {
        return members.stream().filter(m -> m.member().equals(member)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("Not a member of this cluster: " + member));
    }

    /** Polls {@code probe}; on timeout fails with the tail of every member's log. */
    private <T> T await(Duration deadline, String what, Supplier<T> probe) {
        return Polling.await(deadline, what, probe, () -> {
            StringBuilder logs = new StringBuilder();
            for (PatroniMember m : members) {
                logs.append("\n--- ").append(m.member().name()).append(".log ---\n").append(m.logTail(12));
            }
            return logs.toString();
        });
    }
}
