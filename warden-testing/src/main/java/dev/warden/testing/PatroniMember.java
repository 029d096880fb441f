package dev.warden.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One member's processes: its Patroni (in a new user namespace when run as root, see
 * {@link PatroniCluster}) and the PostgreSQL that Patroni starts, found by its {@code postmaster.pid}.
 */
final class PatroniMember {

    private final PatroniCluster.Member member;
    private final Path log;
    private Process patroni; // null once killed

    private PatroniMember(PatroniCluster.Member member, Path log, Process patroni) {
        this.member = member;
        this.log = log;
        this.patroni = patroni;
    }

    /** Writes member {@code name}'s configuration to {@code base/<name>.yml} and starts its Patroni, logging to {@code base/<name>.log}. */
    static PatroniMember start(String name, PatroniConfig config, Path base) throws IOException {
        PatroniCluster.Member m = new PatroniCluster.Member(name, Loopback.freePort(), Loopback.freePort(), base.resolve(name));
        Path yaml = base.resolve(name + ".yml");
        Files.writeString(yaml, config.yaml(m, base.resolve(name + ".pgpass")));
        List<String> cmd = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.addAll(List.of("unshare", "-U"));
        }
        cmd.addAll(List.of(PatroniInstallation.onPath("patroni").orElseThrow().toString(), yaml.toString()));
        Path log = base.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("PATRONI") || k.startsWith("PG"));
        return new PatroniMember(m, log, pb.start());
    }

    PatroniCluster.Member member() {
        return member;
    }

    /** Whether its Patroni was started and not killed since (it may still have exited by itself). */
    boolean notKilled() {
        return patroni != null;
    }

    /** Whether its Patroni process runs. */
    boolean running() {
        Process p = patroni;
        return p != null && p.isAlive();
    }

    /** Kills its Patroni process (SIGKILL) and waits for it; its PostgreSQL keeps running. */
    void killPatroni() {
        Process p = patroni;
        patroni = null;
        if (p != null) {
            p.destroyForcibly();
            Polling.waitFor(p);
        }
    }

    /** Kills its postmaster and backends (SIGKILL), if they run, and waits up to 30 s for them to end. */
    void killPostgres() {
        Path pidFile = member.dataDir().resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty() || !h.get().info().command().map(c -> c.endsWith("postgres")).orElse(true)) {
                return; // not running (or the pid was reused)
            }
            Signals.send("KILL", Signals.withDescendants(pid));
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

    /** The last lines of its Patroni log (with its PostgreSQL's log lines). */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
