package dev.warden.drill.overload;

import dev.warden.HealthReport;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.drill.JsonOutput;
import dev.warden.testing.FaultProxy;
import dev.warden.testing.ThrowawayDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code warden drill overload}: a database that is busy, slow or out of connections, but up, must
 * not become an outage, and a fleet recovering from a real outage must not reconnect all at once.
 * Four phases on one embedded PostgreSQL (started with a low {@code max_connections}):
 * <ol>
 * <li>saturation: 4 × pool size threads, each transaction holding its connection 20 ms, through
 *     Warden and through plain HikariCP (defaults, same pool size) at the same time; then a pool of
 *     one with waiters that time out, and waiters queued in a known order;</li>
 * <li>slow database: a share of the statements sleep, and the monitor's own backend is stalled
 *     (SIGSTOP) so that probes exceed their timeout;</li>
 * <li>connection exhaustion: every free slot is taken, so that new connections get 53300, and the
 *     monitor's and one pooled connection are terminated, while the pooled ones keep working;</li>
 * <li>fleet recovery: 3 Wardens behind a {@link FaultProxy} that counts connection attempts; the
 *     database is stopped and started again.</li>
 * </ol>
 */
@Command(name = "overload", mixinStandardHelpOptions = true,
        description = "Saturate, slow down and exhaust a database that stays up; recover a fleet; check that none of it is an outage.")
public final class OverloadDrill implements Callable<Integer> {

    static final int MAX_CONNECTIONS = 60;

    @Option(names = "--pool", defaultValue = "8", description = "Pool size of every client (default ${DEFAULT-VALUE}).")
    int pool;

    @Option(names = "--rounds", defaultValue = "3", description = "Saturation rounds, Warden and HikariCP side by side (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--round-seconds", defaultValue = "4", description = "Length of one saturation round (default ${DEFAULT-VALUE}).")
    int roundSeconds;

    @Option(names = "--phase-seconds", defaultValue = "8", description = "Length of the slow and the exhaustion phases (default ${DEFAULT-VALUE}).")
    int phaseSeconds;

    @Mixin
    JsonOutput output = new JsonOutput();

    private final AtomicInteger falseDegraded = new AtomicInteger();
    private final AtomicLong probesPerSecondMax = new AtomicLong();

    @Override
    public Integer call() throws Exception {
        return output.print(execute());
    }

    /** Runs the four phases and returns the figures ({@code ok} says whether every target holds). */
    OverloadFigures execute() throws Exception {
        if (pool < 2 || pool > 12 || rounds < 1 || roundSeconds < 1 || phaseSeconds < 2) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--pool must be 2 to 12, --rounds >= 1, --round-seconds >= 1, --phase-seconds >= 2");
        }
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-overload-drill",
                Map.of("max_connections", String.valueOf(MAX_CONNECTIONS), "fsync", "off"))) {
            try (Connection c = direct(db); Statement st = c.createStatement()) {
                st.execute("create table overload_writes (id bigserial primary key, v int not null)");
            }
            OverloadFigures.Saturation saturated;
            OverloadFigures.BusyPool busy;
            OverloadFigures.Slow slow;
            OverloadFigures.Exhaustion exhausted;
            long mainOutages;
            try (Warden warden = client(db.jdbcUrl(), "ovl-main", pool, null)) {
                OverloadSaturation saturation = new OverloadSaturation(this);
                saturated = saturation.saturation(db, warden);
                busy = saturation.busyPool(db);
                OverloadSlowAndFull stress = new OverloadSlowAndFull(this);
                slow = stress.slowDatabase(db, warden);
                exhausted = stress.exhaustion(db, warden);
                mainOutages = warden.health().monitor().outages().count();
            }
            OverloadFigures.Fleet fleet = new OverloadFleet(this).fleetRecovery(db);
            return new OverloadFigures(saturated, busy, slow, exhausted, mainOutages, fleet,
                    OverloadFigures.Verdict.judge(falseDegraded.get(), probesPerSecondMax.get(), saturated, busy, fleet));
        }
    }

    Warden client(String url, String app, int size, SimpleMeterRegistry registry) {
        return client(url, app, WardenConfig.builder().environment(Map.of()).dbUrl(url).applicationName(app)
                .poolMaxSize(size).build(), registry, true);
    }

    /** A started Warden; while {@code judged}, every READY → DEGRADED counts as a false outage. */
    Warden client(String url, String app, WardenConfig cfg, SimpleMeterRegistry registry, boolean judged) {
        Warden.Builder b = Warden.builder().config(cfg);
        if (registry != null) {
            b.meterRegistry(registry);
        }
        Warden w = b.build();
        if (judged) {
            w.lifecycle().addListener(t -> {
                if (t.to() == State.DEGRADED) {
                    falseDegraded.incrementAndGet();
                }
            });
        }
        return w.start();
    }

    // ---- helpers ----------------------------------------------------------------------------------

    static Connection direct(ThrowawayDatabase db) throws SQLException {
        return DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
    }

    static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    static void awaitCondition(java.util.function.BooleanSupplier condition, long timeoutMs, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Timed out after " + timeoutMs + " ms waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Samples a Warden's probe count once a second while open; keeps the drill's highest rate. */
    final class ProbeRate implements AutoCloseable {
        private final AtomicBoolean on = new AtomicBoolean(true);
        private final Thread thread;

        ProbeRate(Warden warden) {
            thread = Thread.ofPlatform().daemon().name("probe-rate").start(() -> {
                HealthReport.Monitor last = warden.health().monitor();
                while (on.get()) {
                    pause(1_000);
                    HealthReport.Monitor now = warden.health().monitor();
                    probesPerSecondMax.accumulateAndGet(now.probes().run() - last.probes().run(), Math::max);
                    last = now;
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            on.set(false);
            thread.join(5_000);
        }
    }
}
