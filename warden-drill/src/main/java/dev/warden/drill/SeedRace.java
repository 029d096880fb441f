package dev.warden.drill;

import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Init workers started together on one configuration, each with the same seeder (one row into
 * {@code drill_seed}, then a hold while the others arrive, or while a fault hits): exactly one of
 * them should seed, and every one should end READY.
 */
public final class SeedRace implements AutoCloseable {

    private final AtomicInteger seederRuns = new AtomicInteger();
    private final ExecutorService pool;
    private final List<Future<Warden>> workers = new ArrayList<>();

    /** What the workers ended with: how many were READY, and why the others failed to start. */
    public record Result(int ready, List<String> errors) {
    }

    private SeedRace(int workers) {
        this.pool = Executors.newFixedThreadPool(workers);
    }

    /** Starts {@code workers} Wardens on {@code cfg} at once; the seeder holds its lock for {@code hold}. */
    public static SeedRace start(WardenConfig cfg, int workers, Duration hold) {
        SeedRace race = new SeedRace(workers);
        for (int w = 0; w < workers; w++) {
            int worker = w;
            race.workers.add(race.pool.submit(() -> Warden.builder().config(cfg).seeder("drill-seed-1", ctx -> {
                race.seederRuns.incrementAndGet();
                try (PreparedStatement ps = ctx.connection().prepareStatement("insert into drill_seed (worker) values (?)")) {
                    ps.setInt(1, worker);
                    ps.executeUpdate();
                }
                Thread.sleep(hold.toMillis());
            }).build().start()));
        }
        return race;
    }

    /** How many times the seeder ran so far. */
    public int seederRuns() {
        return seederRuns.get();
    }

    /** Waits up to {@code patience} for a seeder to run; returns whether one did. */
    public boolean awaitSeeding(Duration patience) throws InterruptedException {
        long end = System.nanoTime() + patience.toNanos();
        while (seederRuns.get() == 0 && System.nanoTime() - end < 0) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        return seederRuns.get() > 0;
    }

    /** Waits for every worker's start, closes each Warden, and says how they ended. */
    public Result await() {
        int ready = 0;
        List<String> errors = new ArrayList<>();
        for (Future<Warden> w : workers) {
            try (Warden warden = w.get()) {
                if (warden.state() == State.READY) {
                    ready++;
                }
            } catch (Exception e) {
                errors.add(String.valueOf(e.getCause() == null ? e : e.getCause()));
            }
        }
        return new Result(ready, errors);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
