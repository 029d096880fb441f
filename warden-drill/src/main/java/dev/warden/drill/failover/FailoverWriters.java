package dev.warden.drill.failover;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.DatabaseUnavailableException;
import dev.warden.Warden;
import dev.warden.WardenException;
import java.sql.PreparedStatement;
import java.time.Duration;
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
 * Writer threads of the failover drill: each commits one-row inserts with a unique id through
 * Warden ({@code verifyCommit()}), and remembers which ids were acknowledged, how each failure was
 * reported, and when the first commit after a mark (a promotion) completed.
 */
final class FailoverWriters implements AutoCloseable {

    private final Warden warden;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final Queue<Long> acknowledged = new ConcurrentLinkedQueue<>();
    private final AtomicLong acknowledgedCount = new AtomicLong();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final LongAdder unknownReported = new LongAdder();
    private final AtomicLong mark = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong firstCommitAfterMark = new AtomicLong();
    private volatile boolean running = true;

    FailoverWriters(Warden warden, int n) {
        this.warden = warden;
        for (int i = 0; i < n; i++) {
            threads.add(Thread.ofPlatform().daemon().name("failover-writer-" + i).start(this::loop));
        }
    }

    private void loop() {
        while (running) {
            long id = nextId.getAndIncrement();
            boolean ok = false;
            try {
                warden.transaction().verifyCommit().label("failover-write").run(tx -> {
                    try (PreparedStatement ps = tx.connection().prepareStatement(
                            "insert into failover_write (id) values (?)")) {
                        ps.setLong(1, id);
                        ps.executeUpdate();
                    }
                });
                ok = true;
                acknowledged.add(id);
                acknowledgedCount.incrementAndGet();
                long now = System.nanoTime();
                if (now >= mark.get()) {
                    firstCommitAfterMark.compareAndSet(0, now);
                }
            } catch (CommitOutcomeUnknownException e) {
                unknownReported.increment();
                count("COMMIT_OUTCOME_UNKNOWN");
            } catch (DatabaseUnavailableException e) {
                count("UNAVAILABLE (fast fail)");
            } catch (WardenException e) {
                count(e.kind().name());
            } catch (RuntimeException e) {
                count("OTHER " + e.getClass().getSimpleName());
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

    /** Starts looking for the first commit completed at or after {@code nanoTime}. */
    void mark(long nanoTime) {
        firstCommitAfterMark.set(0);
        mark.set(nanoTime);
    }

    /** The {@code System.nanoTime()} of the first commit after the mark, waiting up to {@code timeout}; 0 if none. */
    long awaitCommitAfterMark(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (firstCommitAfterMark.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        return firstCommitAfterMark.get();
    }

    /** The nanoTime of the first commit after the mark, 0 while there is none. */
    long commitAfterMark() {
        return firstCommitAfterMark.get();
    }

    /** Waits until {@code n} more commits are acknowledged, up to {@code timeout}; false if they are not. */
    boolean awaitCommits(int n, Duration timeout) throws InterruptedException {
        long target = acknowledgedCount.get() + n;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acknowledgedCount.get() < target) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    List<Long> acknowledged() {
        return List.copyOf(acknowledged);
    }

    Map<String, Long> failuresByKind() {
        Map<String, Long> m = new TreeMap<>();
        failures.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    long unknownReported() {
        return unknownReported.sum();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.interrupt();
            t.join(Duration.ofSeconds(60));
        }
    }
}
