package dev.warden.drill;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.DatabaseUnavailableException;
import dev.warden.WardenException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One client of the real-stack drills (Patroni, PgBouncer): writer threads that insert one row with a
 * unique id per request (through Warden, or through a plain HikariCP pool), and remember which ids
 * were acknowledged, when each commit completed, how each failure was reported, how long each request
 * took (start and end, for latency percentiles and for requests hung past 5 s).
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

    /** Figures of this client so far: requests, acknowledged, failures by kind, unknown outcomes, hung &gt; 5 s. */
    public Map<String, Object> figures() {
        Map<String, Long> byKind = new TreeMap<>();
        failures.forEach((k, v) -> byKind.put(k, v.sum()));
        Map<String, Object> f = new java.util.LinkedHashMap<>();
        f.put("requests", requests.sum());
        f.put("acknowledged", (long) acknowledged.size());
        f.put("failed_by_kind", byKind);
        f.put("unknown_outcomes", unknown.sum());
        f.put("hung_over_5s", hung.sum());
        List<Long> latencies = spans.stream().map(s -> s[1] - s[0]).toList();
        f.put("latency_ms_p50", Figures.millis(Figures.percentile(latencies, 0.50)));
        f.put("latency_ms_p99", Figures.millis(Figures.percentile(latencies, 0.99)));
        f.put("latency_ms_max", Figures.millis(Figures.percentile(latencies, 1.0)));
        return f;
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
