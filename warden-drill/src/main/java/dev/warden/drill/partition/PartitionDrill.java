package dev.warden.drill.partition;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.DatabaseUnavailableException;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.drill.DbOptions;
import dev.warden.drill.JsonOutput;
import dev.warden.drill.NetworkNamespace;
import dev.warden.testing.Fault;
import dev.warden.testing.FaultProxy;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code warden drill partition}: a silently dropped network between Warden and PostgreSQL, made
 * for real by a {@link FaultProxy} blackhole (no RST, no FIN, nothing answered; what was sent is
 * delivered when it heals), under write load: {@code --writers} threads write in a loop, two of them
 * holding each transaction open {@code --hold-ms}, and one new write arrives every
 * {@code --arrival-ms} whatever happens to the others (open loop), on a pool of {@code --pool}.
 * {@code --partitions} blackholes of {@code --seconds}, then one of {@code --long-seconds} (longer
 * than the socket timeout). Each write carries a client-made UUID; at the end the table is read back
 * directly (not through the proxy): an acknowledged write that is missing is lost. The proxy completes
 * TCP handshakes itself, so Warden cannot see its blackhole as a gone network: the drill runs Warden
 * with {@code WARDEN_STALL_BOUND=500ms} and {@code WARDEN_RIDE_THROUGH=0} (see docs/health.md). With
 * {@code --dead-host} the blackhole lifts for new connections only: those open at the cut stay
 * silent until the end, as when the host died and another took its address.
 */
@Command(name = "partition", mixinStandardHelpOptions = true,
        description = "Blackhole the network to the database under write load; time detection, release, recovery; verify nothing acknowledged is lost.")
public final class PartitionDrill implements Callable<Integer> {

    @Option(names = "--partitions", defaultValue = "3", description = "Blackholes of --seconds (default ${DEFAULT-VALUE}); one long one follows.")
    int partitions;

    @Option(names = "--seconds", defaultValue = "10", description = "How long each blackhole lasts (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--long-seconds", defaultValue = "15", description = "How long the last blackhole lasts; must exceed --socket-timeout (default ${DEFAULT-VALUE}).")
    int longSeconds;

    @Option(names = "--socket-timeout", defaultValue = "10", description = "WARDEN_DB_SOCKET_TIMEOUT in seconds for the drill (default ${DEFAULT-VALUE}).")
    int socketTimeout;

    @Option(names = "--writers", defaultValue = "8", description = "Writer threads in a loop (default ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--holders", defaultValue = "2", description = "How many of the writers hold each transaction open (default ${DEFAULT-VALUE}).")
    int holders;

    @Option(names = "--hold-ms", defaultValue = "300", description = "How long a holder keeps its transaction open (default ${DEFAULT-VALUE}).")
    long holdMs;

    @Option(names = "--arrival-ms", defaultValue = "10", description = "One new write arrives every this many ms, open loop (default ${DEFAULT-VALUE}).")
    long arrivalMs;

    @Option(names = "--pool", defaultValue = "12", description = "Pool size (default ${DEFAULT-VALUE}).")
    int pool;

    @Option(names = "--window-seconds", defaultValue = "5", description = "Throughput windows before each blackhole and after READY (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--proxy", description = "Make the blackhole with the fault proxy (hides the TCP evidence) even"
            + " where a kernel blackhole is possible (default: the kernel's, in a network namespace of its own, as root).")
    boolean proxyOnly;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--dead-host", description = "Heal only for new connections: the connections open at the cut stay"
            + " silent for good, as when the host died and another took its address (default: the network heals).")
    boolean deadHost;

    @Mixin
    JsonOutput output = new JsonOutput();

    @Mixin
    DbOptions db = new DbOptions();

    /** How one write ended. */
    enum Outcome { ACKNOWLEDGED, COMMIT_UNKNOWN, REFUSED, FAILED }

    /** One write: when it started and ended (nanoTime), how, and whether its work had started. */
    static final class Write {
        final UUID id = UUID.randomUUID();
        final long start = System.nanoTime();
        volatile long end;
        volatile Outcome outcome;
        volatile boolean ran;
        volatile Thread thread;
    }

    /** One blackhole's timeline (nanoTime) and figures. */
    static final class Partition {
        long cut;
        long degraded;
        long heal;
        long ready;
        int activeAtDegraded = -1;
        long refilled;
        long windowNanos;
        double before;
        double after;
    }

    private final ConcurrentLinkedQueue<Write> writes = new ConcurrentLinkedQueue<>();
    private final List<long[]> transitions = new CopyOnWriteArrayList<>(); // {nanoTime, state ordinal, pool active}

    private String blackholeKind = "proxy";

    @Override
    public Integer call() throws Exception {
        if (db.url() == null && !Blackhole.inOwnNamespace() && !proxyOnly && NetworkNamespace.available()) {
            return NetworkNamespace.rerun(spec.commandLine().getParseResult().originalArgs());
        }
        return output.print(execute());
    }

    /** Runs the drill and returns its figures, {@code ok} saying whether every target holds. */
    public PartitionFigures execute() throws Exception {
        if (partitions < 0 || seconds < 1 || socketTimeout < 1 || longSeconds <= socketTimeout || writers < 1
                || holders < 0 || holders > writers || holdMs < 0 || arrivalMs < 1 || pool < 1 || window < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--partitions >= 0, --seconds >= 1,"
                    + " --long-seconds > --socket-timeout >= 1, --writers >= 1, 0 <= --holders <= --writers,"
                    + " --hold-ms >= 0, --arrival-ms >= 1, --pool >= 1, --window-seconds >= 1; got --partitions "
                    + partitions + " --seconds " + seconds + " --long-seconds " + longSeconds + " --socket-timeout "
                    + socketTimeout);
        }
        if (db.url() != null) {
            return run(db.url(), db.user(), db.password());
        }
        try (ThrowawayDatabase embedded = ThrowawayDatabase.start("warden-partition-drill", Map.of())) {
            return run(embedded.jdbcUrl(), "postgres", "");
        }
    }

    private PartitionFigures run(String url, String user, String password) throws Exception {
        Properties target = org.postgresql.Driver.parseURL(url, null);
        if (target == null) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--db-url must be a PostgreSQL JDBC URL, got "
                    + WardenConfig.maskUrl(url));
        }
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement()) {
            st.execute("create table if not exists drill_partition_writes (id uuid primary key, at timestamptz not null default now())");
        }
        List<Partition> done = new ArrayList<>();
        long hungAtEnd;
        boolean kernel = Blackhole.inOwnNamespace() && db.url() == null;
        int port = Integer.parseInt(target.getProperty("PGPORT", "5432").split(",")[0]);
        FaultProxy maybeProxy = kernel ? null : FaultProxy.start(target.getProperty("PGHOST").split(",")[0], port);
        try (Blackhole proxy = kernel ? Blackhole.kernel(port) : Blackhole.proxy(maybeProxy)) {
            String proxied = kernel ? url : maybeProxy.jdbcUrl(target.getProperty("PGDBNAME"));
            WardenConfig.Builder b = WardenConfig.builder().environment(Map.of()).dbUrl(proxied).dbUser(user)
                    .dbPassword(password).poolMaxSize(pool).socketTimeout(Duration.ofSeconds(socketTimeout))
                    // No ride-through: this drill measures fail-fast.
                    .rideThrough(Duration.ZERO);
            if (!kernel) {
                // The proxy's kernel completes TCP handshakes, so Warden sees its blackhole as a live host
                // whose server is silent (STALLED): a short stall bound declares it as a gone network
                // would be (a COMMIT on the wire is then spared: it waits for the socket timeout).
                b.stallBound(Duration.ofMillis(500));
            }
            blackholeKind = kernel ? "kernel" : "proxy";
            WardenConfig cfg = b.applicationName("warden-partition-drill").build();
            try (Warden warden = Warden.create(cfg)) {
                warden.lifecycle().addListener(t -> transitions.add(new long[] {System.nanoTime(), t.to().ordinal(),
                        t.to() == State.DEGRADED ? warden.health().pool().active() : -1}));
                warden.start();
                AtomicBoolean running = new AtomicBoolean(true);
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < writers; i++) {
                    long hold = i < holders ? holdMs : 0;
                    threads.add(Thread.ofPlatform().daemon().name("drill-writer-" + i)
                            .start(() -> writeLoop(warden, running, hold)));
                }
                ExecutorService arrivals = Executors.newCachedThreadPool(r -> Thread.ofPlatform().daemon()
                        .name("drill-arrival").unstarted(r));
                Thread ticker = Thread.ofPlatform().daemon().name("drill-ticker").start(() -> {
                    long next = System.nanoTime();
                    while (running.get()) {
                        arrivals.execute(() -> write(warden, 0));
                        next += TimeUnit.MILLISECONDS.toNanos(arrivalMs);
                        sleepUntil(next);
                    }
                });
                // Warm-up (JIT, pool filled), outside every window.
                sleepUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.min(3, window)));
                for (int i = 0; i <= partitions; i++) {
                    done.add(partition(warden, proxy, i < partitions ? seconds : longSeconds));
                }
                running.set(false);
                ticker.join(5_000);
                arrivals.shutdown();
                // Bounded: every thread should be out already; one still inside the database is hung.
                arrivals.awaitTermination(5, TimeUnit.SECONDS);
                for (Thread t : threads) {
                    t.join(Math.max(1, 5_000 / threads.size()));
                }
                List<Write> open = writes.stream().filter(w -> w.outcome == null).toList();
                hungAtEnd = open.size();
                open.forEach(w -> System.err.println(whereIs(w))); // a hang is reported with its stack
            }
        }
        return figures(url, user, password, done, hungAtEnd);
    }

    /** Where a write without an outcome at the end is: its age, its thread and that thread's stack. */
    static String whereIs(Write w) {
        Thread t = w.thread;
        StringBuilder b = new StringBuilder("drill: a write without an outcome ")
                .append(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - w.start)).append(" ms after it started");
        if (t == null) {
            b.append(" (not started on a thread)");
        } else {
            b.append(", thread ").append(t.getName()).append(t.isAlive() ? " in:" : " (ended)");
            for (StackTraceElement e : t.getStackTrace()) {
                b.append("\n\tat ").append(e);
            }
        }
        return b.toString();
    }

    /** One blackhole: baseline window, cut, wait, heal, READY, window after READY. */
    private Partition partition(Warden warden, Blackhole proxy, int durationSeconds) throws Exception {
        Partition p = new Partition();
        long windowNanos = TimeUnit.SECONDS.toNanos(window);
        p.windowNanos = windowNanos;
        long baselineStart = System.nanoTime();
        sleepUntil(baselineStart + windowNanos);
        p.cut = System.nanoTime();
        proxy.cut();
        p.before = ackRate(p.cut - windowNanos, p.cut);
        sleepUntil(p.cut + TimeUnit.SECONDS.toNanos(durationSeconds));
        p.heal = System.nanoTime();
        if (deadHost) {
            proxy.healForNewOnly();
        } else {
            proxy.heal();
        }
        if (!warden.awaitReady(Duration.ofSeconds(60))) {
            throw new IllegalStateException("Warden was not READY within 60 s of the heal");
        }
        long[] degraded = first(p.cut, State.DEGRADED);
        long[] ready = first(p.heal, State.READY);
        p.degraded = degraded == null ? 0 : degraded[0];
        p.activeAtDegraded = degraded == null ? -1 : (int) degraded[2];
        p.ready = ready == null ? System.nanoTime() : ready[0];
        long limit = p.ready + windowNanos;
        while (warden.health().pool().total() < pool && System.nanoTime() < limit) {
            pause(5);
        }
        p.refilled = System.nanoTime();
        sleepUntil(p.ready + windowNanos);
        p.after = ackRate(p.ready, p.ready + windowNanos);
        return p;
    }

    private PartitionFigures figures(String url, String user, String password, List<Partition> done, long hung)
            throws SQLException {
        Set<UUID> present = new HashSet<>();
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select id from drill_partition_writes")) {
            while (rs.next()) {
                present.add(rs.getObject(1, UUID.class));
            }
        }
        return PartitionFigures.of(done, writes, present, hung,
                new PartitionFigures.Run(pool, socketTimeout, deadHost, blackholeKind, ("Partition drill: %d blackhole(s)"
                        + " of %d s and one of %d s, %d writers (%d holding %d ms), a new write every %d ms, pool %d")
                        .formatted(partitions, seconds, longSeconds, writers, holders, holdMs, arrivalMs, pool)));
    }

    private void writeLoop(Warden warden, AtomicBoolean running, long hold) {
        while (running.get()) {
            Outcome o = write(warden, hold);
            pause(o == Outcome.ACKNOWLEDGED ? 5 : 20); // a client backs off a little after a failure
        }
    }

    private Outcome write(Warden warden, long hold) {
        Write w = new Write();
        w.thread = Thread.currentThread();
        writes.add(w);
        try {
            warden.useTransaction(tx -> {
                w.ran = true;
                try (var ps = tx.connection().prepareStatement("insert into drill_partition_writes(id) values (?)")) {
                    ps.setObject(1, w.id);
                    ps.executeUpdate();
                }
                if (hold > 0) {
                    Thread.sleep(hold);
                }
            });
            w.outcome = Outcome.ACKNOWLEDGED;
        } catch (CommitOutcomeUnknownException e) {
            w.outcome = Outcome.COMMIT_UNKNOWN;
        } catch (DatabaseUnavailableException e) {
            w.outcome = Outcome.REFUSED;
        } catch (RuntimeException e) {
            w.outcome = Outcome.FAILED;
        } catch (Error e) {
            w.outcome = Outcome.FAILED; // counted, not taken for a hang; and said
            System.err.println("drill: a write ended with " + e);
            throw e;
        } finally {
            w.end = System.nanoTime();
        }
        return w.outcome;
    }

    /** Acknowledged writes per second that ended in [from, to). */
    private double ackRate(long from, long to) {
        long n = writes.stream().filter(w -> w.outcome == Outcome.ACKNOWLEDGED && w.end >= from && w.end < to).count();
        return n / ((to - from) / 1e9);
    }

    private long[] first(long after, State state) {
        for (long[] t : transitions) {
            if (t[0] >= after && t[1] == state.ordinal()) {
                return t;
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

    private static void sleepUntil(long nanoTime) {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            try {
                Thread.sleep(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
