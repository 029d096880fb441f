package dev.warden.internal.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.DatabaseUnavailableException;
import dev.warden.ErrorKind;
import dev.warden.State;
import dev.warden.TestConfig;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.WardenException;
import dev.warden.testing.Fault;
import dev.warden.testing.FaultProxy;
import dev.warden.testing.SharedPostgres;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A silent path (the fault proxy's blackhole: no RST, no FIN, nothing answered) between Warden and
 * a real PostgreSQL. The proxy's own kernel completes TCP handshakes, so Warden sees a live host
 * whose server is silent (STALLED), the case of any TCP proxy or pooler in between: these tests set
 * a short stall bound (1.5 s) and no ride-through, so that the silence becomes an outage at once and
 * new work fails fast; the network-gone case, with SYNs dropped by the kernel, is KernelBlackholeTest.
 * Found within one probe, idle or busy; the threads inside the database are released with the right
 * error; a COMMIT on the wire is not aborted (only a gone network justifies that); recovery needs
 * no free pool slot. The socket timeout stays at its 60 s default, so that a thread released by
 * anything else than Warden's abort would fail these deadlines.
 */
class PartitionTest {

    private FaultProxy proxy;
    private Warden warden;
    private final AtomicLong degradedAt = new AtomicLong();
    private final AtomicLong readyAt = new AtomicLong();

    @BeforeAll
    static void table() {
        SharedPostgres.exec("create table if not exists partition_writes (id bigserial primary key, note text)");
    }

    @BeforeEach
    void start() {
        proxy = FaultProxy.start(SharedPostgres.get().port());
    }

    @AfterEach
    void stop() {
        proxy.set(Fault.PASS);
        if (warden != null) {
            warden.close();
        }
        proxy.close();
    }

    private Warden startWarden(int poolSize) {
        WardenConfig cfg = TestConfig.sharedPostgres().dbUrl(proxy.jdbcUrl("postgres")).poolMaxSize(poolSize)
                .stallBound(Duration.ofMillis(1500)).rideThrough(Duration.ZERO)
                .applicationName("partition-test").build();
        warden = Warden.create(cfg);
        warden.lifecycle().addListener(t -> {
            if (t.to() == State.DEGRADED) {
                degradedAt.set(System.nanoTime());
            } else if (t.to() == State.READY) {
                readyAt.set(System.nanoTime());
            }
        });
        return warden.start();
    }

    private static void sql(Warden w, String statement) {
        w.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.execute(statement);
            }
        });
    }

    /** Blackholes everything and returns the time it did; awaits DEGRADED. */
    private long partitionAndAwaitDegraded() {
        degradedAt.set(0);
        long cut = System.nanoTime();
        proxy.set(Fault.BLACKHOLE);
        await().atMost(Duration.ofSeconds(10)).until(() -> degradedAt.get() != 0);
        return cut;
    }

    private long millisSince(long nanos, long then) {
        return TimeUnit.NANOSECONDS.toMillis(nanos - then);
    }

    @Test
    void blackholeIsDetectedWithinOneProbeWhileIdle() {
        startWarden(4);
        sql(warden, "select 1");
        // Before: a probe waited its timeout on the query, then again on a new connection (2.1 s at best).
        long cut = partitionAndAwaitDegraded();
        System.out.println("blackhole -> DEGRADED, idle: " + millisSince(degradedAt.get(), cut) + " ms");
        assertThat(millisSince(degradedAt.get(), cut)).as("blackhole -> DEGRADED, idle (ms)").isLessThan(6_000);
        assertThat(warden.health().monitor().lastProbe().error()).contains("STALLED");
    }

    @Test
    void blackholeIsDetectedWithinOneProbeWhileBusy() throws Exception {
        startWarden(4);
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            writers.add(Thread.ofPlatform().daemon().start(() -> {
                while (running.get()) {
                    try {
                        sql(warden, "insert into partition_writes(note) values ('busy')");
                    } catch (WardenException e) {
                        pause();
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> warden.health().transactions().committed() > 50);
        long cut = partitionAndAwaitDegraded();
        System.out.println("blackhole -> DEGRADED, busy: " + millisSince(degradedAt.get(), cut) + " ms");
        assertThat(millisSince(degradedAt.get(), cut)).as("blackhole -> DEGRADED, busy (ms)").isLessThan(6_000);
        running.set(false);
        // A writer whose COMMIT is on the wire is spared (the host answers TCP: the commit may still
        // be answered); it finishes once the path heals, not at the 60 s socket timeout.
        proxy.set(Fault.PASS);
        for (Thread t : writers) {
            t.join(30_000);
            assertThat(t.isAlive()).as("writer still inside the database").isFalse();
        }
    }

    @Test
    void connectionsInUseAreAbortedAndTheirThreadsGetAConnectionFailure() throws Exception {
        startWarden(4);
        int n = 4;
        CountDownLatch inside = new CountDownLatch(n);
        List<CompletableFuture<Throwable>> outcomes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            outcomes.add(CompletableFuture.supplyAsync(() -> {
                try {
                    warden.inTransaction(tx -> {
                        try (Statement st = tx.connection().createStatement()) {
                            st.execute("insert into partition_writes(note) values ('held')");
                            inside.countDown();
                            // Each statement waits on the network once it is cut. Not a flat-out loop:
                            // four threads spinning on two cores starved the probe into a false silence.
                            while (true) {
                                st.execute("select pg_sleep(0.02)");
                            }
                        }
                    });
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }, runnable -> Thread.ofPlatform().daemon().start(runnable)));
        }
        assertThat(inside.await(30, TimeUnit.SECONDS)).as("every thread inside; done: %s, pool: %s",
                outcomes.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join).toList(),
                warden.health().pool()).isTrue();
        long cut = partitionAndAwaitDegraded();
        CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        long released = System.nanoTime();
        for (CompletableFuture<Throwable> o : outcomes) {
            assertThat(o.join()).isInstanceOfSatisfying(WardenException.class,
                    e -> assertThat(e.kind()).isEqualTo(ErrorKind.CONNECTION));
        }
        // Far below the 60 s socket timeout: only Warden's abort releases them this early.
        assertThat(millisSince(released, cut)).as("blackhole -> every thread answered (ms)").isLessThan(20_000);
        assertThat(SharedPostgres.queryLong("select count(*) from partition_writes where note = 'held'"))
                .as("nothing of the aborted transactions was committed").isZero();
    }

    @Test
    void commitOnTheWireIsNotAbortedWhenTheHostStillAnswersTcp() throws Exception {
        startWarden(4);
        CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
            try {
                warden.useTransaction(tx -> {
                    try (Statement st = tx.connection().createStatement()) {
                        st.execute("insert into partition_writes(note) values ('commit-on-the-wire')");
                    }
                    proxy.set(Fault.BLACKHOLE); // the COMMIT that follows goes into the silence
                });
                return null;
            } catch (Throwable t) {
                return t;
            }
        }, runnable -> Thread.ofPlatform().daemon().start(runnable));
        // DEGRADED (the stall bound is short here), but the COMMIT's connection is spared: aborting it
        // would manufacture an unknown outcome for a commit the server may still answer.
        await().atMost(Duration.ofSeconds(15)).until(() -> warden.state() == State.DEGRADED);
        assertThat(outcome).as("the COMMIT on the wire was aborted").isNotDone();
        proxy.set(Fault.PASS);
        Throwable t = outcome.get(30, TimeUnit.SECONDS);
        assertThat(t).as("the COMMIT's own answer, not an unknown outcome").isNull();
        assertThat(SharedPostgres.queryLong("select count(*) from partition_writes where note = 'commit-on-the-wire'"))
                .isEqualTo(1);
    }

    @Test
    void recoveryNeedsNoFreePoolSlotAndHungConnectionsDoNotStayInThePool() throws Exception {
        int pool = 3;
        startWarden(pool);
        CountDownLatch inside = new CountDownLatch(pool);
        List<CompletableFuture<Throwable>> holders = new ArrayList<>();
        for (int i = 0; i < pool; i++) {
            holders.add(CompletableFuture.supplyAsync(() -> {
                try {
                    warden.inTransaction(tx -> {
                        try (Statement st = tx.connection().createStatement()) {
                            st.execute("select 1");
                            inside.countDown();
                            while (true) {
                                st.execute("select pg_sleep(0.02)");
                            }
                        }
                    });
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }, runnable -> Thread.ofPlatform().daemon().start(runnable)));
        }
        assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(warden.health().pool().active()).isEqualTo(pool);
        partitionAndAwaitDegraded();
        // The network heals for new connections only: the old ones stay silent, as a sender in TCP
        // retransmission back-off does for many seconds after a real partition heals.
        readyAt.set(0);
        long healed = System.nanoTime();
        proxy.setForNew(Fault.PASS);
        await().atMost(Duration.ofSeconds(10)).until(() -> readyAt.get() != 0);
        assertThat(millisSince(readyAt.get(), healed)).as("heal -> READY with every slot held at the cut (ms)")
                .isLessThan(3_000);
        // New work runs at once on new connections; the old, still silent ones are gone.
        long t0 = System.nanoTime();
        for (int i = 0; i < 3 * pool; i++) {
            sql(warden, "insert into partition_writes(note) values ('after-heal')");
        }
        assertThat(millisSince(System.nanoTime(), t0)).as("writes after the heal (ms)").isLessThan(5_000);
        for (CompletableFuture<Throwable> h : holders) {
            assertThat(h.get(1, TimeUnit.SECONDS)).isInstanceOf(WardenException.class);
        }
    }

    @Test
    void workThatRanAndLostTheNetworkIsNotReportedAsRefusedBeforeRunning() throws Exception {
        startWarden(4);
        CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
            try {
                warden.useTransaction(tx -> {
                    try (Statement st = tx.connection().createStatement()) {
                        st.execute("insert into partition_writes(note) values ('ran')");
                        proxy.set(Fault.BLACKHOLE);
                        st.execute("select 1"); // waits on the silent network until Warden aborts it
                    }
                });
                return null;
            } catch (Throwable t) {
                return t;
            }
        }, runnable -> Thread.ofPlatform().daemon().start(runnable));
        Throwable t = outcome.get(30, TimeUnit.SECONDS);
        // Its retry is refused (DEGRADED), but the work did run: it must not read "the work was not run".
        assertThat(t).isNotInstanceOf(DatabaseUnavailableException.class)
                .isInstanceOfSatisfying(WardenException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.CONNECTION);
                    assertThat(e.getMessage()).contains("ran and failed").contains("refused before it ran")
                            .doesNotContain("the work was not run");
                });
        // Work that arrives now is refused before running, and says so.
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> sql(warden, "select 1")))
                .isInstanceOf(DatabaseUnavailableException.class).hasMessageContaining("the work was not run");
    }

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
