package dev.warden.internal.init;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Flyway callback that makes the running migration visible: before each migration it records
 * the migration's version and description on the epoch's row (where waiters and a holder taking
 * over read it), logs it, and from then on refreshes this process's step every second with the
 * time it has run ({@code migration 2 'create index' (non-transactional), running 12s}), logging
 * again every 30 s while it runs and once when it ends.
 * <p>
 * Flyway calls it on its own connection, inside the migration's transaction when there is one: the
 * record is written on a work connection of its own, in a short transaction, so that it is visible
 * at once and never rolled back with the migration. Whether Flyway runs the migration in a
 * transaction is read from that connection (auto-commit off inside one).
 */
final class MigrationProgress implements Callback, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MigrationProgress.class);
    private static final long LOG_EVERY_MS = 30_000;

    /** Writes the record of the running migration (null description: none). */
    interface Recorder {
        void record(String version, String description, boolean inTransaction) throws SQLException;
    }

    private final Recorder recorder;
    private final Consumer<String> step;
    private final ScheduledExecutorService ticker;
    private volatile Running running;

    private record Running(String name, long startedNanos, long[] lastLog) {
    }

    /**
     * @param recorder writes the running migration on the epoch's row
     * @param step     receives the step text (this process's status and startup progress)
     */
    MigrationProgress(Recorder recorder, Consumer<String> step) {
        this.recorder = recorder;
        this.step = step;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "warden-init-migration-progress");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    /** The text for a migration: {@code migration 2 'create index'}, with "(non-transactional)" when it is. */
    static String name(String version, String description, boolean inTransaction) {
        return "migration " + (version == null ? "repeatable" : version) + " '" + description + "'"
                + (inTransaction ? "" : " (non-transactional)");
    }

    @Override
    public boolean supports(Event event, Context context) {
        return event == Event.BEFORE_EACH_MIGRATE || event == Event.AFTER_EACH_MIGRATE
                || event == Event.AFTER_EACH_MIGRATE_ERROR;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
        return true;
    }

    @Override
    public void handle(Event event, Context context) {
        MigrationInfo m = context.getMigrationInfo();
        if (m == null) {
            return;
        }
        String version = m.getVersion() == null ? null : m.getVersion().getVersion();
        if (event == Event.BEFORE_EACH_MIGRATE) {
            boolean inTx = inTransaction(context.getConnection());
            String name = name(version, m.getDescription(), inTx);
            try {
                recorder.record(version, m.getDescription(), inTx);
            } catch (SQLException e) {
                // Cannot even write a row: the migration's own statements will meet the same fault.
                throw new IllegalStateException("Could not record the start of " + name + ": " + e.getMessage(), e);
            }
            running = new Running(name, System.nanoTime(), new long[] {System.nanoTime()});
            log.info("Running {}", name);
            step.accept(name + ", running 0s");
            return;
        }
        Running r = running;
        running = null;
        if (r != null) {
            long ms = (System.nanoTime() - r.startedNanos()) / 1_000_000;
            if (event == Event.AFTER_EACH_MIGRATE) {
                log.info("Finished {} in {} ms", r.name(), ms);
            } else {
                log.warn("{} failed after {} ms", r.name(), ms);
            }
        }
    }

    private static boolean inTransaction(Connection c) {
        try {
            return c != null && !c.getAutoCommit();
        } catch (SQLException e) {
            return true;
        }
    }

    private void tick() {
        Running r = running;
        if (r == null) {
            return;
        }
        long now = System.nanoTime();
        Duration took = Duration.ofNanos(now - r.startedNanos());
        String text = r.name() + ", running " + took.toSeconds() + "s";
        step.accept(text);
        if ((now - r.lastLog()[0]) / 1_000_000 >= LOG_EVERY_MS) {
            r.lastLog()[0] = now;
            log.info("Still running {}", text.replace(", running", ": running for"));
        }
    }

    @Override
    public String getCallbackName() {
        return "warden-migration-progress";
    }

    /** Stops the ticker; the record on the epoch's row is cleared by the holder. */
    @Override
    public void close() {
        running = null;
        ticker.shutdownNow();
        try {
            // so that no late tick overwrites the step the holder reports next
            ticker.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
