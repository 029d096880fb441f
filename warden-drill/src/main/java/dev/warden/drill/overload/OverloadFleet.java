package dev.warden.drill.overload;

import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.FaultProxy;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The overload drill's phase (d): three clients behind a {@link FaultProxy} that counts connection
 * attempts recover together after the database was stopped and started again.
 */
final class OverloadFleet {

    private final OverloadDrill d;

    OverloadFleet(OverloadDrill d) {
        this.d = d;
    }

    // ---- (d) fleet recovery -----------------------------------------------------------------------

    OverloadFigures.Fleet fleetRecovery(ThrowawayDatabase db) throws Exception {
        int clients = 3;
        try (FaultProxy proxy = FaultProxy.start(db.port())) {
            List<Warden> fleet = new ArrayList<>();
            AtomicBoolean running = new AtomicBoolean(true);
            List<Thread> writers = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(proxy.jdbcUrl("postgres"))
                            .applicationName("ovl-fleet-" + i).poolMaxSize(d.pool).build();
                    Warden w = d.client(proxy.jdbcUrl("postgres"), "ovl-fleet-" + i, cfg, null, false);
                    fleet.add(w);
                    writers.add(Thread.ofPlatform().start(() -> {
                        while (running.get()) {
                            try {
                                w.useTransaction(tx -> {
                                    try (Statement st = tx.connection().createStatement()) {
                                        st.execute("insert into overload_writes(v) values (4)");
                                    }
                                });
                                OverloadDrill.pause(20);
                            } catch (RuntimeException e) {
                                OverloadDrill.pause(20);
                            }
                        }
                    }));
                }
                OverloadDrill.awaitCondition(() -> fleet.stream().allMatch(w -> w.health().pool().total() == d.pool), 30_000,
                        "the fleet's pools to fill");
                db.stop();
                OverloadDrill.awaitCondition(() -> fleet.stream().allMatch(w -> w.state() == State.DEGRADED), 30_000,
                        "every client to be DEGRADED");
                Thread.sleep(1_000);
                List<long[]> samples = new CopyOnWriteArrayList<>(); // {nanoTime, accepted}
                AtomicBoolean sampling = new AtomicBoolean(true);
                Thread sampler = Thread.ofPlatform().start(() -> {
                    while (sampling.get()) {
                        samples.add(new long[] {System.nanoTime(), proxy.accepted()});
                        OverloadDrill.pause(2);
                    }
                });
                long restartAt = System.nanoTime();
                db.restart();
                OverloadDrill.awaitCondition(() -> fleet.stream().allMatch(w -> w.state() == State.READY), 30_000,
                        "every client to be READY");
                long readyMs = (System.nanoTime() - restartAt) / 1_000_000;
                OverloadDrill.awaitCondition(() -> fleet.stream().allMatch(w -> w.health().pool().total() == d.pool), 30_000,
                        "the fleet's pools to refill");
                long fullMs = (System.nanoTime() - restartAt) / 1_000_000;
                Thread.sleep(200);
                sampling.set(false);
                sampler.join(5_000);
                int burst = 0;
                for (int i = 0; i < samples.size(); i++) {
                    for (int j = i; j < samples.size() && samples.get(j)[0] - samples.get(i)[0] <= 100_000_000L; j++) {
                        burst = Math.max(burst, (int) (samples.get(j)[1] - samples.get(i)[1]));
                    }
                }
                int total = samples.isEmpty() ? 0 : (int) (samples.getLast()[1] - samples.getFirst()[1]);
                return new OverloadFigures.Fleet(clients, readyMs, fullMs, total, burst,
                        Math.round(1000.0 * burst / (clients * d.pool)) / 1000.0);
            } finally {
                running.set(false);
                for (Thread t : writers) {
                    t.join(30_000);
                }
                for (Warden w : fleet) {
                    w.close();
                }
            }
        }
    }
}
