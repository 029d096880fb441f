package dev.warden.drill.outage;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.DatabaseUnavailableException;
import dev.warden.HealthReport;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.drill.JsonOutput;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code warden drill outage}: writes through an in-process Warden while the embedded PostgreSQL
 * under it is stopped and started again, then checks that every acknowledged write is in the
 * database. A write is acknowledged only when {@code useTransaction} returned; a write whose COMMIT
 * outcome is unknown is counted apart (neither acknowledged nor lost).
 */
@Command(name = "outage", mixinStandardHelpOptions = true,
        description = "Stop and restart the database under a write load; verify no acknowledged write is lost.")
public final class OutageDrill implements Callable<Integer> {

    @Option(names = "--restarts", defaultValue = "5", description = "How many times to stop and start the database (default ${DEFAULT-VALUE}).")
    int restarts;

    @Option(names = "--seconds", defaultValue = "30", description = "How long the drill runs (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--writers", defaultValue = "8", description = "Concurrent writer threads (default ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--down-ms", defaultValue = "1500", description = "How long the database stays down each time (default ${DEFAULT-VALUE}).")
    long downMs;

    @Mixin
    JsonOutput output = new JsonOutput();

    private final ConcurrentLinkedQueue<UUID> acknowledged = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<UUID> commitUnknown = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Long> failedNanos = new ConcurrentLinkedQueue<>();
    private final LongAdder failed = new LongAdder();
    private final LongAdder failedUnavailable = new LongAdder();
    private final List<long[]> transitions = new CopyOnWriteArrayList<>(); // {nanoTime, state ordinal}

    @Override
    public Integer call() throws Exception {
        if (restarts < 0 || seconds < 1 || writers < 1 || downMs < 100) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--restarts must be >= 0, --seconds >= 1, --writers >= 1, --down-ms >= 100");
        }
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-outage-drill", Map.of())) {
            return drill(db);
        }
    }

    private Integer drill(ThrowawayDatabase db) throws Exception {
        String url = db.jdbcUrl();
        WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(url).poolMaxSize(writers + 2)
                .applicationName("warden-outage-drill").build();
        List<Long> detectMs = new ArrayList<>();
        List<Long> recoverMs = new ArrayList<>();
        HealthReport finalReport;
        long start = System.nanoTime();
        try (Warden warden = Warden.create(cfg)) {
            warden.lifecycle().addListener(t -> transitions.add(new long[] {System.nanoTime(), t.to().ordinal()}));
            warden.start();
            warden.useTransaction(tx -> {
                try (Statement st = tx.connection().createStatement()) {
                    st.execute("create table if not exists drill_writes (id uuid primary key, at timestamptz not null default now())");
                }
            });
            AtomicBoolean running = new AtomicBoolean(true);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                Thread t = Thread.ofPlatform().name("drill-writer-" + i).start(() -> writeLoop(warden, running));
                threads.add(t);
            }
            long period = Duration.ofSeconds(seconds).toNanos() / Math.max(1, restarts);
            for (int r = 0; r < restarts; r++) {
                sleepUntil(start + r * period + period / 4);
                long stopAt = System.nanoTime();
                db.stop();
                long stoppedAt = System.nanoTime();
                sleepUntil(stoppedAt + downMs * 1_000_000);
                db.restart();
                long acceptingAt = System.nanoTime();
                if (!warden.awaitReady(Duration.ofSeconds(30))) {
                    throw new IllegalStateException("Warden did not become READY within 30 s of restart " + (r + 1));
                }
                Long degraded = firstAfter(stopAt, State.DEGRADED);
                Long ready = firstAfter(stoppedAt, State.READY);
                if (degraded != null) {
                    // From the stop command: under load Warden often sees the server go before pg_ctl returns.
                    detectMs.add((degraded - stopAt) / 1_000_000);
                }
                if (ready != null) {
                    // READY can come before start() returns: zonky polls the server before returning.
                    recoverMs.add(Math.max(0, (ready - acceptingAt) / 1_000_000));
                }
            }
            sleepUntil(start + Duration.ofSeconds(seconds).toNanos());
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
            finalReport = warden.health();
        }
        Set<UUID> present = new HashSet<>();
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select id from drill_writes")) {
            while (rs.next()) {
                present.add(rs.getObject(1, UUID.class));
            }
        }
        long lost = acknowledged.stream().filter(id -> !present.contains(id)).count();
        long unknownApplied = commitUnknown.stream().filter(present::contains).count();
        List<Long> fails = new ArrayList<>(failedNanos);
        Collections.sort(fails);
        Collections.sort(detectMs);
        Collections.sort(recoverMs);

        OutageFigures figures = new OutageFigures(new OutageFigures.Run(restarts, seconds, writers, downMs),
                new OutageFigures.Writes(acknowledged.size(), lost, commitUnknown.size(), unknownApplied),
                OutageFigures.Failures.of(failed.sum(), failedUnavailable.sum(), fails),
                OutageFigures.Timings.of(detectMs, recoverMs), OutageFigures.Monitor.of(finalReport.monitor()));
        return output.print(figures);
    }

    private void writeLoop(Warden warden, AtomicBoolean running) {
        while (running.get()) {
            UUID id = UUID.randomUUID();
            long t0 = System.nanoTime();
            try {
                warden.useTransaction(tx -> {
                    try (var ps = tx.connection().prepareStatement("insert into drill_writes(id) values (?)")) {
                        ps.setObject(1, id);
                        ps.executeUpdate();
                    }
                });
                acknowledged.add(id);
                pause(5);
            } catch (CommitOutcomeUnknownException e) {
                commitUnknown.add(id);
                pause(20);
            } catch (RuntimeException e) {
                failedNanos.add(System.nanoTime() - t0);
                failed.increment();
                if (e instanceof DatabaseUnavailableException) {
                    failedUnavailable.increment();
                }
                pause(20); // a client backs off a little after a failure
            }
        }
    }

    private Long firstAfter(long after, State state) {
        for (long[] t : transitions) {
            if (t[0] >= after && t[1] == state.ordinal()) {
                return t[0];
            }
        }
        return null;
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            Thread.sleep(Math.max(1, left / 1_000_000));
        }
    }
}
