package dev.warden.drill;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.warden.CommitOutcomeUnknownException;
import dev.warden.DatabaseUnavailableException;
import dev.warden.Warden;
import dev.warden.WardenException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One client of the real-stack drills (Patroni, PgBouncer): writer threads that insert one row with a
 * unique id per request (through Warden, or through a plain HikariCP pool), and remember which ids
 * were acknowledged, when each commit completed, how each failure was reported, how long each request
 * took (start and end, for latency percentiles and for requests hung past 5 s). The failover drill's
 * writers are one too, with a mark (a promotion) to measure the first commit after.
 */
public final class WriteClient implements AutoCloseable {

    /** One write: inserts {@code id}, returns when it is acknowledged, throws when it is not. */
    @FunctionalInterface
    public interface Write {
        void insert(long id) throws Exception;
    }

    public static final long HUNG_NANOS = 5_000_000_000L;

    private final String name;
    private final Write write;
    private final AtomicLong ids;
    private final List<Thread> threads = new ArrayList<>();
    private final Queue<Long> acknowledged = new ConcurrentLinkedQueue<>();
    private final Queue<Long> commitTimes = new ConcurrentLinkedQueue<>();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final LongAdder unknown = new LongAdder();
    private final LongAdder hung = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private final Queue<long[]> spans = new ConcurrentLinkedQueue<>(); // {start, end} nanoTime of every request
    private final AtomicLong mark = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong firstCommitAfterMark = new AtomicLong();
    private volatile boolean running = true;

    public WriteClient(String name, Write write, AtomicLong ids, int threadCount) {
        this.name = name;
        this.write = write;
        this.ids = ids;
        for (int i = 0; i < threadCount; i++) {
            threads.add(Thread.ofPlatform().daemon().name(name + "-writer-" + i).start(this::loop));
        }
    }

    private void loop() {
        while (running) {
            long id = ids.incrementAndGet();
            long t0 = System.nanoTime();
            boolean ok = false;
            try {
                write.insert(id);
                ok = true;
                long now = System.nanoTime();
                acknowledged.add(id);
                commitTimes.add(now);
                if (now >= mark.get()) {
                    firstCommitAfterMark.compareAndSet(0, now);
                }
            } catch (CommitOutcomeUnknownException e) {
                unknown.increment();
                count("COMMIT_OUTCOME_UNKNOWN");
            } catch (DatabaseUnavailableException e) {
                count("UNAVAILABLE (fast fail)");
            } catch (WardenException e) {
                count(e.kind().name());
            } catch (SQLException e) {
                String state = e.getSQLState();
                count("SQLSTATE " + (state == null ? "none" : state));
            } catch (Exception e) {
                count("OTHER " + e.getClass().getSimpleName());
            }
            requests.increment();
            long t1 = System.nanoTime();
            spans.add(new long[] {t0, t1});
            if (t1 - t0 > HUNG_NANOS) {
                hung.increment();
            }
            try {
                Thread.sleep(ok ? 2 : 10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void count(String key) {
        failures.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    public String name() {
        return name;
    }

    public long acknowledgedCount() {
        return acknowledged.size();
    }

    public List<Long> acknowledged() {
        return List.copyOf(acknowledged);
    }

    /** The first commit completed at or after {@code nanoTime}, or 0 if none yet. */
    public long firstCommitAtOrAfter(long nanoTime) {
        long best = 0;
        for (long t : commitTimes) {
            if (t >= nanoTime && (best == 0 || t < best)) {
                best = t;
            }
        }
        return best;
    }

    /** Starts looking for the first commit completed at or after {@code nanoTime} (see {@link #awaitCommitAfterMark}). */
    public void mark(long nanoTime) {
        firstCommitAfterMark.set(0);
        mark.set(nanoTime);
    }

    /** The nanoTime of the first commit after the {@link #mark}, 0 while there is none. */
    public long commitAfterMark() {
        return firstCommitAfterMark.get();
    }

    /** The nanoTime of the first commit after the {@link #mark}, waiting up to {@code timeout}; 0 if none. */
    public long awaitCommitAfterMark(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (firstCommitAfterMark.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        return firstCommitAfterMark.get();
    }

    /** Start and end (nanoTime) of every request so far. */
    public List<long[]> spans() {
        return List.copyOf(spans);
    }

    /** Acknowledged writes and failed requests so far, for figures per phase. */
    public long[] counts() {
        long failed = 0;
        for (LongAdder a : failures.values()) {
            failed += a.sum();
        }
        return new long[] {acknowledged.size(), failed};
    }

    /** Waits up to {@code timeoutMs} for {@code n} more acknowledged writes; false if they did not come. */
    public boolean awaitMore(int n, long timeoutMs) throws InterruptedException {
        long target = acknowledged.size() + n;
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        while (acknowledged.size() < target) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /**
     * Figures of one client: requests, acknowledged, failures by kind, unknown outcomes, requests hung
     * over 5 s, latency percentiles in ms.
     */
    public record Totals(long requests, long acknowledged, Map<String, Long> failedByKind, long unknownOutcomes,
                          @JsonProperty("hung_over_5s") long hungOver5s, double latencyMsP50, double latencyMsP99,
                          double latencyMsMax) {
    }

    /** Figures of this client so far. */
    public Totals figures() {
        Map<String, Long> byKind = new TreeMap<>();
        failures.forEach((k, v) -> byKind.put(k, v.sum()));
        List<Long> latencies = spans.stream().map(s -> s[1] - s[0]).toList();
        return new Totals(requests.sum(), acknowledged.size(), byKind, unknown.sum(), hung.sum(),
                Figures.millis(Figures.percentile(latencies, 0.50)), Figures.millis(Figures.percentile(latencies, 0.99)),
                Figures.millis(Figures.percentile(latencies, 1.0)));
    }

    /** Acknowledged writes not in {@code stored}: lost. */
    public long lost(Set<Long> stored) {
        return acknowledged.stream().filter(id -> !stored.contains(id)).count();
    }

    /** A Warden client and a plain one, writing side by side; closing stops both. */
    public record Pair(WriteClient warden, WriteClient plain) implements AutoCloseable {

        /** Waits until both clients commit again (bounded), so that the next fault hits a running load. */
        public void steady() throws InterruptedException {
            warden.awaitMore(100, 180_000);
            plain.awaitMore(100, 180_000);
        }

        @Override
        public void close() throws InterruptedException {
            try {
                plain.close();
            } finally {
                warden.close();
            }
        }
    }

    /**
     * Starts {@code threads} writers on each client of {@code clients} (Warden started), each request
     * one row of {@code drill_write (id bigint primary key, client text)} in a transaction of its own:
     * through Warden's {@code useTransaction}, and through the plain pool (committed when the pool
     * does not auto-commit). Both draw their ids from {@code ids}.
     */
    public static Pair pair(ClientPair clients, AtomicLong ids, int threads) {
        Warden warden = clients.warden();
        WriteClient w = new WriteClient("warden", id -> warden.useTransaction(tx -> {
            try (PreparedStatement ps = tx.connection().prepareStatement("insert into drill_write values (?, 'warden')")) {
                ps.setLong(1, id);
                ps.executeUpdate();
            }
        }), ids, threads);
        WriteClient p = new WriteClient("plain", id -> {
            try (Connection c = clients.plain().getConnection();
                 PreparedStatement ps = c.prepareStatement("insert into drill_write values (?, 'plain')")) {
                ps.setLong(1, id);
                ps.executeUpdate();
                if (!c.getAutoCommit()) {
                    c.commit();
                }
            }
        }, ids, threads);
        return new Pair(w, p);
    }

    /** Stops the writers, letting each finish its request (a verifier may hold one for its patience). */
    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(java.time.Duration.ofSeconds(120));
        }
    }
}
