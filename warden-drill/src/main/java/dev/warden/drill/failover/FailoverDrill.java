package dev.warden.drill.failover;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.warden.HealthReport;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code warden drill failover}: a primary and a streaming standby (embedded binaries), Warden on a
 * multi-host URL ({@code targetServerType=primary}) under write load. Each round crashes the
 * primary ({@code pg_ctl stop -m immediate}), promotes the standby and measures how soon Warden is
 * READY and commits again; a new standby is then built for the next round. Afterwards, the
 * acknowledged writes are looked up on the surviving primary. Last, a primary is demoted in place:
 * the server holding the pool turns read-only while the other becomes writable.
 */
@Command(name = "failover", mixinStandardHelpOptions = true,
        description = "Crash and promote a real primary/standby pair under write load; demote a primary in place.")
public final class FailoverDrill implements Callable<Integer> {

    static final long READY_AFTER_PROMOTE_MAX_MS = 1000;
    static final long DEMOTED_RECOVER_MAX_MS = 2000;
    static final long READY_WHILE_READ_ONLY_MAX_MS = 1500;
    private static final Duration AWAIT = Duration.ofSeconds(30);
    /** How long the demoted server stays the only one before the other is promoted. */
    private static final long READ_ONLY_WINDOW_MS = 2000;

    enum Mode { async, sync, both }

    @Option(names = "--mode", defaultValue = "both", description = "async, sync or both (default ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--rounds", defaultValue = "3", description = "Failovers per replication mode (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--threads", defaultValue = "4", description = "Writer threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--json", description = "Print one JSON object instead of a summary.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> f = execute();
        if (json) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(f));
        } else {
            System.out.printf("""
                    failover drill: %s round(s) per mode (%s), %s writer threads, multi-host URL targetServerType=primary
                      crash primary -> promote standby:
                        READY after promote          max %s ms (target <= %d)
                        first commit after promote   max %s ms
                        acknowledged writes %s, lost: synchronous %s (target 0), asynchronous %s (reported)
                      primary demoted in place (read-only) while the other becomes writable:
                        READY while every write fails  %s ms (target <= %d)
                        writable server -> first write %s ms (target <= %d)
                      lost COMMITs (verifyCommit): resolved %s, unknown reported to callers %s (target 0)
                      failed requests by kind: %s
                      %s
                    """, f.get("rounds"), f.get("mode"), threads, f.get("ready_after_promote_ms_max"),
                    READY_AFTER_PROMOTE_MAX_MS, f.get("first_commit_after_promote_ms_max"), f.get("acknowledged_writes"),
                    f.get("lost_writes"), f.get("lost_writes_async"), f.get("ready_while_read_only_ms"),
                    READY_WHILE_READ_ONLY_MAX_MS, f.get("demoted_in_place_recover_ms"), DEMOTED_RECOVER_MAX_MS,
                    f.get("commit_unknown_resolved"), f.get("commit_unknown_reported"), f.get("failed_requests_by_kind"),
                    Boolean.TRUE.equals(f.get("pass")) ? "PASS: every target holds" : "FAIL: " + f.get("failed_targets"));
        }
        return Boolean.TRUE.equals(f.get("pass")) ? 0 : 1;
    }

    /** Runs the drill and returns its figures. */
    public Map<String, Object> execute() throws Exception {
        if (rounds < 1 || rounds > 50 || threads < 1 || threads > 32) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--rounds must be 1 to 50, --threads 1 to 32");
        }
        List<Long> readyMs = new ArrayList<>();
        List<Long> firstCommitMs = new ArrayList<>();
        Map<String, Long> failures = new TreeMap<>();
        long acknowledged = 0;
        Long lostSync = null;
        Long lostAsync = null;
        long unknownReported = 0;
        long unknownResolved = 0;
        Map<String, Object> demoted = Map.of();
        List<Boolean> modes = switch (mode) {
            case async -> List.of(false);
            case sync -> List.of(true);
            case both -> List.of(false, true);
        };
        for (int i = 0; i < modes.size(); i++) {
            boolean sync = modes.get(i);
            boolean last = i == modes.size() - 1;
            ModeResult r = runMode(sync, last);
            readyMs.addAll(r.readyMs);
            firstCommitMs.addAll(r.firstCommitMs);
            r.failures.forEach((k, v) -> failures.merge(k, v, Long::sum));
            acknowledged += r.acknowledged;
            if (sync) {
                lostSync = r.lost;
            } else {
                lostAsync = r.lost;
            }
            unknownReported += r.unknownReported;
            unknownResolved += r.unknownResolved;
            if (last) {
                demoted = r.demoted;
            }
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("mode", mode.name());
        f.put("rounds", readyMs.size());
        f.put("ready_after_promote_ms_max", max(readyMs));
        f.put("first_commit_after_promote_ms_max", max(firstCommitMs));
        f.put("acknowledged_writes", acknowledged);
        f.put("lost_writes", lostSync);
        f.put("lost_writes_async", lostAsync);
        f.put("failed_requests_by_kind", failures);
        f.put("demoted_in_place_recover_ms", demoted.get("recover_ms"));
        f.put("ready_while_read_only_ms", demoted.get("ready_while_read_only_ms"));
        f.put("commit_unknown_reported", unknownReported);
        f.put("commit_unknown_resolved", unknownResolved);
        f.put("ready_after_promote_ms", readyMs);
        f.put("first_commit_after_promote_ms", firstCommitMs);
        List<String> failed = new ArrayList<>();
        if (readyMs.size() < rounds * modes.size() || max(readyMs) < 0 || max(readyMs) > READY_AFTER_PROMOTE_MAX_MS) {
            failed.add("ready_after_promote_ms_max <= " + READY_AFTER_PROMOTE_MAX_MS);
        }
        if (firstCommitMs.size() < rounds * modes.size()) {
            failed.add("a commit after every promotion");
        }
        if (lostSync != null && lostSync != 0) {
            failed.add("lost_writes == 0 (synchronous replication)");
        }
        if (!(demoted.get("recover_ms") instanceof Long d) || d < 0 || d > DEMOTED_RECOVER_MAX_MS) {
            failed.add("demoted_in_place_recover_ms <= " + DEMOTED_RECOVER_MAX_MS);
        }
        if (!(demoted.get("ready_while_read_only_ms") instanceof Long w) || w > READY_WHILE_READ_ONLY_MAX_MS) {
            failed.add("ready_while_read_only_ms <= " + READY_WHILE_READ_ONLY_MAX_MS);
        }
        if (unknownReported != 0) {
            failed.add("commit_unknown_reported == 0");
        }
        f.put("failed_targets", failed);
        f.put("pass", failed.isEmpty());
        return f;
    }

    private record ModeResult(List<Long> readyMs, List<Long> firstCommitMs, Map<String, Long> failures,
                              long acknowledged, long lost, long unknownReported, long unknownResolved,
                              Map<String, Object> demoted) {
    }

    private ModeResult runMode(boolean sync, boolean demote) throws Exception {
        String name = sync ? "sync" : "async";
        try (StreamingPair pair = StreamingPair.start(sync)) {
            StreamingPair.sql(pair.primary(), "create table failover_write (id bigint primary key)");
            WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(pair.multiHostUrl())
                    .poolMaxSize(threads + 1).applicationName("failover-drill").build();
            List<Long> readyMs = new ArrayList<>();
            List<Long> firstCommitMs = new ArrayList<>();
            Map<String, Object> demoted = Map.of();
            try (Warden warden = Warden.create(cfg).start(); FailoverWriters writers = new FailoverWriters(warden, threads)) {
                for (int round = 1; round <= rounds; round++) {
                    awaitSteady(warden, writers);
                    pair.crashPrimary();
                    pair.promoteStandby();
                    long promoted = System.nanoTime();
                    Instant promotedAt = Instant.now();
                    writers.mark(promoted);
                    long ready = awaitReadyAfter(warden, promotedAt, writers);
                    long commit = writers.awaitCommitAfterMark(AWAIT);
                    long rm = ready == 0 ? -1 : (ready - promoted) / 1_000_000;
                    long cm = commit == 0 ? -1 : (commit - promoted) / 1_000_000;
                    if (rm >= 0) {
                        readyMs.add(rm);
                    }
                    if (cm >= 0) {
                        firstCommitMs.add(cm);
                    }
                    System.err.printf("%s round %d/%d: READY %d ms and first commit %d ms after the promotion%n",
                            name, round, rounds, rm, cm);
                    pair.rebuildStandby();
                }
                if (demote) {
                    awaitSteady(warden, writers);
                    demoted = demoteInPlace(pair, warden, writers);
                }
                writers.close();
                long lost = lost(pair, writers.acknowledged());
                return new ModeResult(readyMs, firstCommitMs, writers.failuresByKind(), writers.acknowledged().size(),
                        lost, writers.unknownReported(), warden.health().transactions().commitResolved(), demoted);
            }
        }
    }

    /** READY, and writes going through, before the next fault. */
    private static void awaitSteady(Warden warden, FailoverWriters writers) throws InterruptedException {
        if (!warden.awaitReady(AWAIT) || !writers.awaitCommits(20, AWAIT)) {
            throw new IllegalStateException("Warden did not become READY and commit again within " + AWAIT);
        }
        Thread.sleep(300);
    }

    /**
     * The first moment (nanoTime) Warden is READY and the new primary is known to serve it: a probe
     * answered after {@code promotedAt}, or a write committed after it. 0 when that does not happen
     * within {@link #AWAIT}. A READY that never lapsed counts from the first such proof.
     */
    private static long awaitReadyAfter(Warden warden, Instant promotedAt, FailoverWriters writers)
            throws InterruptedException {
        long deadline = System.nanoTime() + AWAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (warden.state() == State.READY) {
                HealthReport.Monitor m = warden.health().monitor();
                if (m.lastProbeOk() && m.lastProbeAt() != null
                        && !m.lastProbeAt().plusNanos((long) (m.lastProbeLatencyMs() * 1e6)).isBefore(promotedAt)) {
                    return System.nanoTime();
                }
                long commit = writers.commitAfterMark();
                if (commit != 0) {
                    return commit;
                }
            }
            Thread.sleep(2);
        }
        return 0;
    }

    /**
     * The server holding the pool turns read-only ({@code default_transaction_read_only}, as after a
     * switchover) and stays so for {@link #READ_ONLY_WINDOW_MS}; then the standby is promoted.
     */
    private static Map<String, Object> demoteInPlace(StreamingPair pair, Warden warden, FailoverWriters writers)
            throws Exception {
        StreamingPair.Node old = pair.primary();
        StreamingPair.sql(old, "alter system set default_transaction_read_only = on", "select pg_reload_conf()");
        long readOnlyAt = System.nanoTime();
        long leftReady = 0;
        long windowEnd = readOnlyAt + READ_ONLY_WINDOW_MS * 1_000_000;
        while (System.nanoTime() < windowEnd) {
            if (leftReady == 0 && warden.state() != State.READY) {
                leftReady = System.nanoTime();
            }
            Thread.sleep(2);
        }
        pair.promoteStandby();
        long writable = System.nanoTime();
        writers.mark(writable);
        long firstWrite = writers.awaitCommitAfterMark(AWAIT);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("recover_ms", firstWrite == 0 ? -1L : (firstWrite - writable) / 1_000_000);
        // Readiness stayed true while every write failed: until Warden left READY, or (if it never
        // did) until writes went through again.
        long readyEnd = leftReady != 0 ? leftReady : (firstWrite == 0 ? System.nanoTime() : firstWrite);
        d.put("ready_while_read_only_ms", (readyEnd - readOnlyAt) / 1_000_000);
        System.err.printf("demoted in place: READY for %d ms while read-only; first write %s ms after the other"
                + " server became writable%n", d.get("ready_while_read_only_ms"), d.get("recover_ms"));
        return d;
    }

    /** Acknowledged ids missing from the surviving primary. */
    private static long lost(StreamingPair pair, List<Long> acknowledged) throws Exception {
        Set<Long> present = new HashSet<>();
        try (Connection c = DriverManager.getConnection(pair.primary().jdbcUrl(), "postgres", "");
             PreparedStatement ps = c.prepareStatement("select id from failover_write");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                present.add(rs.getLong(1));
            }
        }
        return acknowledged.stream().filter(id -> !present.contains(id)).count();
    }

    private static long max(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).max().orElse(-1);
    }
}
