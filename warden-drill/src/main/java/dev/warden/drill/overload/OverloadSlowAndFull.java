package dev.warden.drill.overload;

import dev.warden.Warden;
import dev.warden.drill.Backends;
import dev.warden.testing.Signals;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The overload drill's phases (b) and (c): a slow database (slow statements, the probe's backend
 * stalled) and a server out of connection slots (53300) while the pooled connections keep working.
 */
final class OverloadSlowAndFull {

    private final OverloadDrill d;

    OverloadSlowAndFull(OverloadDrill d) {
        this.d = d;
    }

    // ---- (b) slow database ------------------------------------------------------------------------

    OverloadFigures.Slow slowDatabase(ThrowawayDatabase db, Warden warden) throws Exception {
        Set<Long> poolBefore = new HashSet<>(Backends.of(db, "ovl-main"));
        long slowBefore = warden.health().monitor().probes().slow();
        LongAdder commits = new LongAdder();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        int stalls = 0;
        {
            for (int i = 0; i < 2 * d.pool; i++) {
                int id = i;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int n = 0; running.get(); n++) {
                        boolean slow = (n + id) % 3 == 0; // a third of the statements take 300 ms
                        try {
                            warden.useTransaction(tx -> {
                                try (Statement st = tx.connection().createStatement()) {
                                    st.execute(slow ? "select pg_sleep(0.3)" : "insert into overload_writes(v) values (2)");
                                }
                            });
                            commits.increment();
                        } catch (RuntimeException e) {
                            OverloadDrill.pause(20);
                        }
                    }
                }));
            }
            long end = System.nanoTime() + d.phaseSeconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                // Stall the monitor's backend longer than the probe timeout: its probe answers late.
                for (long pid : Backends.of(db, "ovl-main-monitor")) {
                    Signals.send("STOP", pid);
                    try {
                        Thread.sleep(1_500);
                    } finally {
                        Signals.send("CONT", pid);
                    }
                    stalls++;
                }
                Thread.sleep(1_500);
            }
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
        Set<Long> poolAfter = new HashSet<>(Backends.of(db, "ovl-main"));
        poolBefore.removeAll(poolAfter);
        return new OverloadFigures.Slow(stalls, warden.health().monitor().probes().slow() - slowBefore, commits.sum(),
                poolBefore.size());
    }

    // ---- (c) connection exhaustion ----------------------------------------------------------------

    OverloadFigures.Exhaustion exhaustion(ThrowawayDatabase db, Warden warden) throws Exception {
        long refusingBefore = warden.health().monitor().probes().refusing();
        LongAdder commits = new LongAdder();
        LongAdder failures = new LongAdder();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        List<Connection> hogs = new ArrayList<>();
        int refusedConnects = 0;
        try {
            for (int i = 0; i < d.pool; i++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    while (running.get()) {
                        try {
                            warden.useTransaction(tx -> {
                                try (Statement st = tx.connection().createStatement()) {
                                    st.execute("insert into overload_writes(v) values (3)");
                                }
                            });
                            commits.increment();
                            OverloadDrill.pause(5);
                        } catch (RuntimeException e) {
                            failures.increment();
                            OverloadDrill.pause(20);
                        }
                    }
                }));
            }
            refusedConnects += fill(db, hogs);
            long end = System.nanoTime() + d.phaseSeconds * 1_000_000_000L;
            for (int round = 0; System.nanoTime() < end; round++) {
                // The monitor's connection goes (and, once, one pooled connection): their replacements meet
                // a full server, while the other pooled connections keep working. Sent through a
                // connection already held: the server has no slot for a new one.
                try (Statement st = hogs.getFirst().createStatement()) {
                    st.execute("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'ovl-main-monitor'"
                            + (round > 0 ? "" : " or pid = (select min(pid) from pg_stat_activity where application_name = 'ovl-main')"));
                }
                refusedConnects += fill(db, hogs);
                Thread.sleep(1_000);
            }
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
        } finally {
            for (Connection c : hogs) {
                c.close();
            }
        }
        return new OverloadFigures.Exhaustion(refusedConnects,
                warden.health().monitor().probes().refusing() - refusingBefore, commits.sum(), failures.sum());
    }

    /** Opens connections until the server refuses one with 53300; returns 1 for that refusal. */
    private static int fill(ThrowawayDatabase db, List<Connection> hogs) throws SQLException {
        for (int i = 0; i < OverloadDrill.MAX_CONNECTIONS + 5; i++) {
            try {
                hogs.add(OverloadDrill.direct(db));
            } catch (SQLException e) {
                if (!"53300".equals(e.getSQLState())) {
                    throw e;
                }
                return 1;
            }
        }
        throw new IllegalStateException("the server never refused a connection (max_connections " + OverloadDrill.MAX_CONNECTIONS + ")");
    }
}
