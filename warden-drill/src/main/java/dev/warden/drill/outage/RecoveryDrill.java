package dev.warden.drill.outage;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.drill.JsonOutput;
import dev.warden.drill.WriterThreads;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code warden drill recovery}: how long after the database accepts connections again does the
 * first transaction commit? Two clients write side by side against one embedded PostgreSQL that is
 * stopped and started again: Warden with its defaults, and a plain HikariCP pool with HikariCP's
 * defaults (only URL and user set). Each runs {@code --threads} writer threads that commit a
 * one-row insert, pausing 5 ms after a success and 20 ms after a failure. The clock starts when
 * the restarted server answers (the embedded server's start returns only once it accepts
 * connections) and stops at each client's first commit that began after it.
 */
@Command(name = "recovery", mixinStandardHelpOptions = true,
        description = "Restart the database under two clients (Warden, raw HikariCP) and time their first commit after it is back.")
public final class RecoveryDrill implements Callable<Integer> {

    @Option(names = "--restarts", defaultValue = "5", description = "Restarts to measure (default ${DEFAULT-VALUE}).")
    int restarts;

    @Option(names = "--down-ms", defaultValue = "2000", description = "How long the database stays down (default ${DEFAULT-VALUE}).")
    long downMs;

    @Mixin
    WriterThreads writerThreads = new WriterThreads();

    @Mixin
    JsonOutput output = new JsonOutput();

    /** One client: its writer threads and the time of its latest commit that began after the mark. */
    private static final class Client implements AutoCloseable {
        final String name;
        final Writer writer;
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong mark = new AtomicLong(Long.MAX_VALUE);
        final AtomicLong firstCommitAfterMark = new AtomicLong(0);
        final List<Thread> threads = new ArrayList<>();

        interface Writer {
            void write() throws Exception;
        }

        Client(String name, int n, Writer writer) {
            this.name = name;
            this.writer = writer;
            for (int i = 0; i < n; i++) {
                Thread t = Thread.ofPlatform().daemon().name(name + "-writer-" + i).start(this::loop);
                threads.add(t);
            }
        }

        private void loop() {
            while (running.get()) {
                long began = System.nanoTime();
                boolean ok;
                try {
                    writer.write();
                    ok = true;
                } catch (Exception e) {
                    ok = false;
                }
                if (ok && began >= mark.get()) {
                    firstCommitAfterMark.compareAndSet(0, System.nanoTime());
                }
                try {
                    Thread.sleep(ok ? 5 : 20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** Starts a measurement at {@code now}. */
        void mark(long now) {
            firstCommitAfterMark.set(0);
            mark.set(now);
        }

        /** Milliseconds from the mark to the first commit after it; waits up to {@code timeout}. */
        long awaitMs(long markedAt, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (firstCommitAfterMark.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            long at = firstCommitAfterMark.get();
            return at == 0 ? -1 : (at - markedAt) / 1_000_000;
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.interrupt();
                t.join(Duration.ofSeconds(40));
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        return output.print(execute());
    }

    /** Runs the drill and returns its figures. */
    RecoveryFigures execute() throws Exception {
        int threads = writerThreads.count();
        if (restarts < 1 || restarts > 100 || downMs < 100 || threads < 1 || threads > 64) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--restarts must be 1 to 100, --down-ms at least 100, --threads 1 to 64");
        }
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-recovery-drill", Map.of())) {
            return measure(db);
        }
    }

    private RecoveryFigures measure(ThrowawayDatabase db) throws Exception {
        int threads = writerThreads.count();
        String url = db.jdbcUrl();
        try (Connection c = java.sql.DriverManager.getConnection(url, "postgres", "")) {
            c.createStatement().execute("create table if not exists recovery_write (id bigserial primary key, client text not null)");
        }
        List<Long> wardenMs = new ArrayList<>();
        List<Long> hikariMs = new ArrayList<>();
        long wardenMissed = 0;
        long hikariMissed = 0;
        WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(url).poolMaxSize(threads)
                .applicationName("recovery-warden").build();
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername("postgres");
        hc.setMaximumPoolSize(threads);
        hc.setPoolName("recovery-hikari");
        try (Warden warden = Warden.create(cfg).start(); HikariDataSource hikari = new HikariDataSource(hc);
             Client w = new Client("warden", threads, () -> warden.useTransaction(tx -> insert(tx.connection(), "warden")));
             Client h = new Client("hikari", threads, () -> {
                 try (Connection c = hikari.getConnection()) {
                     c.setAutoCommit(false);
                     insert(c, "hikari");
                     c.commit();
                 }
             })) {
            Thread.sleep(1000);
            for (int r = 0; r < restarts; r++) {
                db.stop();
                Thread.sleep(downMs);
                db.restart();
                long back = System.nanoTime();
                w.mark(back);
                h.mark(back);
                long wm = w.awaitMs(back, Duration.ofSeconds(60));
                long hm = h.awaitMs(back, Duration.ofSeconds(60));
                if (wm < 0) {
                    wardenMissed++;
                } else {
                    wardenMs.add(wm);
                }
                if (hm < 0) {
                    hikariMissed++;
                } else {
                    hikariMs.add(hm);
                }
                System.err.printf("restart %d/%d: first commit after the database was back: Warden %d ms, HikariCP %d ms%n",
                        r + 1, restarts, wm, hm);
                Thread.sleep(1000);
            }
        }
        return RecoveryFigures.of(new RecoveryFigures.Run(restarts, downMs, threads), wardenMs, wardenMissed, hikariMs,
                hikariMissed);
    }

    private static void insert(Connection c, String client) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into recovery_write (client) values (?)")) {
            ps.setString(1, client);
            ps.executeUpdate();
        }
    }
}
