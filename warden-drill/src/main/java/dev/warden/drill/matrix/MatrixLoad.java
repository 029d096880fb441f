package dev.warden.drill.matrix;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.DatabaseUnavailableException;
import dev.warden.NotReadyException;
import dev.warden.PoolTimeoutException;
import dev.warden.Warden;
import dev.warden.WardenException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * The matrix drill's load on one client (Warden, or a plain HikariCP pool): writer threads that each
 * insert a client-made UUID and pause, two of them holding every transaction open 300 ms; in idle
 * mode one writer, a write every 500 ms. Each request is recorded with the phase (fault) it started
 * in: its latency, and whether it was acknowledged, failed (and how) or left with an unknown
 * outcome. Requests still running are counted as hung when the drill ends.
 */
final class MatrixLoad {

    /** One write, as the client sees it. */
    interface Client {
        String name();

        /** Inserts {@code id}, holding the transaction {@code holdMs} before its COMMIT. */
        void write(UUID id, long holdMs) throws Exception;
    }

    /** What one request ended as. */
    record Result(int phase, long nanos, String failure, boolean unknown, UUID id, String message) {
    }

    private final Client client;
    private final AtomicInteger phase;
    private final ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
    private final Map<Long, long[]> running = new ConcurrentHashMap<>(); // thread id -> {phase, start}
    private final AtomicBoolean idle = new AtomicBoolean();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    MatrixLoad(Client client, AtomicInteger phase) {
        this.client = client;
        this.phase = phase;
    }

    String name() {
        return client.name();
    }

    /** Starts {@code writers} threads, {@code holders} of them holding each transaction 300 ms. */
    void start(int writers, int holders) {
        for (int i = 0; i < writers; i++) {
            boolean holder = i < holders;
            int index = i;
            threads.add(Thread.ofPlatform().daemon().name("matrix-" + client.name() + "-" + i).start(() -> loop(holder, index)));
        }
    }

    /** Idle: one write every 500 ms on one thread; the others pause. */
    void idle(boolean on) {
        idle.set(on);
    }

    private void loop(boolean holder, int index) {
        for (long n = 0; n < Long.MAX_VALUE && !stop.get(); n++) {
            if (idle.get()) {
                if (index != 0) {
                    pause(50);
                    continue;
                }
                request(0);
                pause(500);
                continue;
            }
            request(holder ? 300 : 0);
            pause(10);
        }
    }

    private void request(long holdMs) {
        UUID id = UUID.randomUUID();
        int p = phase.get();
        long t0 = System.nanoTime();
        long tid = Thread.currentThread().threadId();
        running.put(tid, new long[] {p, t0});
        String failure = null;
        String message = null;
        boolean unknown = false;
        try {
            client.write(id, holdMs);
        } catch (CommitOutcomeUnknownException e) {
            unknown = true;
            message = e.getMessage();
        } catch (UnknownOutcome e) {
            unknown = true;
            message = String.valueOf(e.getCause());
        } catch (Exception e) {
            failure = kind(e);
            message = String.valueOf(e);
        } finally {
            running.remove(tid);
        }
        results.add(new Result(p, System.nanoTime() - t0, failure, unknown, failure == null && !unknown ? id : null,
                message));
    }

    static String kind(Throwable e) {
        if (e instanceof DatabaseUnavailableException) {
            return "unavailable";
        }
        if (e instanceof PoolTimeoutException || e instanceof SQLTransientConnectionException) {
            return "pool_timeout";
        }
        if (e instanceof NotReadyException) {
            return "not_ready";
        }
        if (e instanceof WardenException w) {
            return w.kind().name().toLowerCase(java.util.Locale.ROOT);
        }
        if (e instanceof SQLException s && s.getSQLState() != null) {
            return "sqlstate_" + s.getSQLState();
        }
        return e.getClass().getSimpleName();
    }

    /** Stops the threads (they finish the request they are in, up to {@code waitMs}). */
    void stop(long waitMs) throws InterruptedException {
        stop.set(true);
        long deadline = System.currentTimeMillis() + waitMs;
        for (Thread t : threads) {
            t.join(Math.max(1, deadline - System.currentTimeMillis()));
        }
    }

    List<Result> results() {
        return List.copyOf(results);
    }

    /** Requests running now, by the phase they started in, with how long they have run. */
    Map<Integer, List<Long>> stillRunning() {
        Map<Integer, List<Long>> out = new TreeMap<>();
        long now = System.nanoTime();
        for (long[] r : running.values()) {
            out.computeIfAbsent((int) r[0], k -> new ArrayList<>()).add(now - r[1]);
        }
        return out;
    }

    /** A plain client's COMMIT that failed with the connection: its outcome is unknown. */
    static final class UnknownOutcome extends Exception {
        UnknownOutcome(Throwable cause) {
            super(cause);
        }
    }

    /** Warden's {@code useTransaction}. */
    static Client warden(Warden warden) {
        return new Client() {
            @Override
            public String name() {
                return "warden";
            }

            @Override
            public void write(UUID id, long holdMs) {
                warden.useTransaction(tx -> insert(tx.connection(), id, "warden", holdMs));
            }
        };
    }

    /** A plain pool, written the way a careful user writes JDBC: commit once, roll back on failure. */
    static Client plain(DataSource pool) {
        return new Client() {
            @Override
            public String name() {
                return "hikari";
            }

            @Override
            public void write(UUID id, long holdMs) throws Exception {
                try (Connection c = pool.getConnection()) {
                    c.setAutoCommit(false);
                    try {
                        insert(c, id, "hikari", holdMs);
                    } catch (SQLException e) {
                        try {
                            c.rollback();
                        } catch (SQLException ignored) {
                            // the connection is gone; the server rolls back
                        }
                        throw e;
                    }
                    try {
                        c.commit();
                    } catch (SQLException e) {
                        String state = e.getSQLState();
                        if (state == null || state.startsWith("08") || state.startsWith("57P")) {
                            throw new UnknownOutcome(e); // lost with COMMIT on the wire
                        }
                        throw e;
                    }
                }
            }
        };
    }

    private static void insert(Connection c, UUID id, String client, long holdMs) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into matrix_writes(id, client) values (?, ?)")) {
            ps.setObject(1, id);
            ps.setString(2, client);
            ps.executeUpdate();
        }
        if (holdMs > 0) {
            try (Statement st = c.createStatement()) {
                st.execute("select pg_sleep(" + holdMs / 1000.0 + ")");
            }
        }
    }

    /** Acknowledged ids by phase. */
    static Map<Integer, List<UUID>> acknowledged(List<Result> results) {
        Map<Integer, List<UUID>> out = new TreeMap<>();
        for (Result r : results) {
            if (r.id() != null) {
                out.computeIfAbsent(r.phase(), k -> new ArrayList<>()).add(r.id());
            }
        }
        return out;
    }

    /** Lost: acknowledged and not in {@code present}. */
    static long lost(List<UUID> acknowledged, Set<UUID> present) {
        return acknowledged == null ? 0 : acknowledged.stream().filter(id -> !present.contains(id)).count();
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
