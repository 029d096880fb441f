package dev.warden.drill.failover;

import dev.warden.HealthReport;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.drill.JsonOutput;
import dev.warden.drill.WriterThreads;
import dev.warden.drill.WriteClient;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    private static final Duration AWAIT = Duration.ofSeconds(30);
    /** How long the demoted server stays the only one before the other is promoted. */
    private static final long READ_ONLY_WINDOW_MS = 2000;

    enum Mode { async, sync, both }

    @Option(names = "--mode", defaultValue = "both", description = "async, sync or both (default ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--rounds", defaultValue = "3", description = "Failovers per replication mode (default ${DEFAULT-VALUE}).")
    int rounds;

    @Mixin
    WriterThreads writerThreads = new WriterThreads();

    @Mixin
    JsonOutput output = new JsonOutput();

    @Override
    public Integer call() throws Exception {
        return output.print(execute());
    }

    /** Runs the drill and returns its figures. */
    FailoverFigures execute() throws Exception {
        int threads = writerThreads.count();
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
        FailoverFigures.Demoted demoted = null;
        List<Boolean> modes = switch (mode) {
            case async -> List.of(false);
            case sync -> List.of(true);
            case both -> List.of(false, true);
        };
        for (int i = 0; i < modes.size(); i++) {
            boolean sync = modes.get(i);
            boolean last = i == modes.size() - 1;
            ModeResult r = runMode(sync, last);
            readyMs.addAll(r.each().readyAfterPromoteMs());
            firstCommitMs.addAll(r.each().firstCommitAfterPromoteMs());
            r.failures().forEach((k, v) -> failures.merge(k, v, Long::sum));
            acknowledged += r.acknowledged();
            if (sync) {
                lostSync = r.lost();
            } else {
                lostAsync = r.lost();
            }
            unknownReported += r.unknown().commitUnknownReported();
            unknownResolved += r.unknown().commitUnknownResolved();
            if (last) {
                demoted = r.demoted();
            }
        }
        return FailoverFigures.judge(threads, rounds * modes.size(),
                new FailoverFigures.Promotions(mode, readyMs.size(), max(readyMs), max(firstCommitMs)),
                new FailoverFigures.Writes(acknowledged, lostSync, lostAsync, failures), demoted,
                new FailoverFigures.Unknown(unknownReported, unknownResolved),
                new FailoverFigures.Rounds(List.copyOf(readyMs), List.copyOf(firstCommitMs)));
    }

    /** One replication mode's rounds (and, for the last mode, the primary demoted in place). */
    private record ModeResult(FailoverFigures.Rounds each, Map<String, Long> failures, long acknowledged, long lost,
                              FailoverFigures.Unknown unknown, FailoverFigures.Demoted demoted) {
    }

    private ModeResult runMode(boolean sync, boolean demote) throws Exception {
        int threads = writerThreads.count();
        String name = sync ? "sync" : "async";
        try (StreamingPair pair = StreamingPair.start(sync)) {
            StreamingPair.sql(pair.primary(), "create table failover_write (id bigint primary key)");
            WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(pair.multiHostUrl())
                    .poolMaxSize(threads + 1).applicationName("failover-drill").build();
            List<Long> readyMs = new ArrayList<>();
            List<Long> firstCommitMs = new ArrayList<>();
            FailoverFigures.Demoted demoted = null;
            try (Warden warden = Warden.create(cfg).start(); WriteClient writers = writers(warden, threads)) {
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
                WriteClient.Totals totals = writers.figures();
                return new ModeResult(new FailoverFigures.Rounds(readyMs, firstCommitMs), totals.failedByKind(),
                        writers.acknowledged().size(), lost, new FailoverFigures.Unknown(totals.unknownOutcomes(),
                        warden.health().transactions().commitResolved()), demoted);
            }
        }
    }

    /** Writer threads committing one-row inserts with a unique id through Warden ({@code verifyCommit()}). */
    private static WriteClient writers(Warden warden, int threads) {
        return new WriteClient("failover", id -> warden.transaction().verifyCommit().label("failover-write").run(tx -> {
            try (PreparedStatement ps = tx.connection().prepareStatement("insert into failover_write (id) values (?)")) {
                ps.setLong(1, id);
                ps.executeUpdate();
            }
        }), new AtomicLong(), threads);
    }

    /** READY, and writes going through, before the next fault. */
    private static void awaitSteady(Warden warden, WriteClient writers) throws InterruptedException {
        if (!warden.awaitReady(AWAIT) || !writers.awaitMore(20, AWAIT.toMillis())) {
            throw new IllegalStateException("Warden did not become READY and commit again within " + AWAIT);
        }
        Thread.sleep(300);
    }

    /**
     * The first moment (nanoTime) Warden is READY and the new primary is known to serve it: a probe
     * answered after {@code promotedAt}, or a write committed after it. 0 when that does not happen
     * within {@link #AWAIT}. A READY that never lapsed counts from the first such proof.
     */
    private static long awaitReadyAfter(Warden warden, Instant promotedAt, WriteClient writers)
            throws InterruptedException {
        long deadline = System.nanoTime() + AWAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (warden.state() == State.READY) {
                HealthReport.Monitor m = warden.health().monitor();
                if (m.lastProbe().ok() && m.lastProbe().at() != null
                        && !m.lastProbe().at().plusNanos((long) (m.lastProbe().latencyMs() * 1e6)).isBefore(promotedAt)) {
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
    private static FailoverFigures.Demoted demoteInPlace(StreamingPair pair, Warden warden, WriteClient writers)
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
        long recoverMs = firstWrite == 0 ? -1L : (firstWrite - writable) / 1_000_000;
        // Readiness stayed true while every write failed: until Warden left READY, or (if it never
        // did) until writes went through again.
        long readyEnd = leftReady != 0 ? leftReady : (firstWrite == 0 ? System.nanoTime() : firstWrite);
        long readyWhileReadOnlyMs = (readyEnd - readOnlyAt) / 1_000_000;
        System.err.printf("demoted in place: READY for %d ms while read-only; first write %s ms after the other"
                + " server became writable%n", readyWhileReadOnlyMs, recoverMs);
        return new FailoverFigures.Demoted(recoverMs, readyWhileReadOnlyMs);
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
