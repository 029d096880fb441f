package dev.warden.internal.init;

import dev.warden.InitFailedException;
import dev.warden.InitStatus;
import dev.warden.LeaseLostException;
import dev.warden.spi.InitLock;
import dev.warden.spi.Seeder;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the process that holds the init lock does, step by step: mark the epoch IN_PROGRESS with
 * its fencing token, wipe (once per epoch), migrate, then seed and mark COMPLETED in one
 * transaction that verifies the lock and the token. Before every step it checks that it still
 * holds the lock; when the lock's session is found dead, its work connections are cut at once.
 * <p>
 * A failure of the wipe, the migrations or the seeders themselves marks the epoch FAILED and counts
 * ({@link AttemptFailedException}); a lost connection, a server that ended the session, a lost
 * lock or a stop of this process leaves the epoch IN_PROGRESS for the next holder and counts nothing.
 */
final class HolderRun {

    private static final Logger log = LoggerFactory.getLogger(HolderRun.class);

    /** The attempt failed for a reason of its own; the epoch was marked FAILED and the failure counted. */
    static final class AttemptFailedException extends Exception {
        AttemptFailedException(Exception cause) {
            super(cause.getMessage(), cause);
        }
    }

    private final Initializer init;
    private final Initializer.Plan plan;
    private final InitConnections connections;
    private final Epochs epochs;
    private final String owner;
    private final InitBudget budget;
    /** This holder's work connections, named after its token (set when its run starts). */
    private DataSource work;

    HolderRun(Initializer init, Initializer.Plan plan, InitConnections connections, Epochs epochs, String owner,
              InitBudget budget) {
        this.init = init;
        this.plan = plan;
        this.connections = connections;
        this.epochs = epochs;
        this.owner = owner;
        this.budget = budget;
    }

    /** The holder's run; null when the epoch must be looked at again (it failed and may be retried). */
    InitStatus run(InitLock.Lease lease, long started) throws Exception {
        // A dead lock session must stop the work now, not when a socket times out.
        lease.onLost(connections::abortWork);
        work = connections.holderWork(plan, lease.token());
        endEarlierHoldersWork(lease);
        Epochs.Epoch before = inTx(epochs::read);
        if (before != null && before.is(InitStatus.Status.COMPLETED)) {
            return init.done(before, Initializer.Part.NONE, started);
        }
        if (before != null && before.is(InitStatus.Status.FAILED)) {
            init.giveUpIfExhausted(before);
        }
        boolean takeover = before != null && before.is(InitStatus.Status.IN_PROGRESS);
        Epochs.Epoch mine = inTx(c -> {
            lease.verify(c);
            // Two applications with overlapping schemas starting at once: the second to record its
            // epoch sees the first's (the check and the record under one transaction lock).
            InitSchema.lockBootstrap(c, plan.wardenSchema());
            InitSchema.refuseOverlap(c, plan.wardenSchema(), plan.schemas());
            return epochs.markStarted(c, lease, before, takeover);
        });
        log.info("Initialising epoch {} as {} (token {}, attempt {}{})", epochs.epoch(), owner, lease.token(),
                mine.attempts(), takeover ? ", taking over from " + before.owner() : "");
        String step = "starting";
        try {
            boolean wiped = mine.wiped();
            if (plan.settings().wipe() && !mine.wiped()) {
                step = "wiping " + plan.schemas();
                step(lease, step, mine, takeover, started);
                wipe(lease);
                wiped = true;
            }
            if (!plan.settings().migrations().isEmpty()) {
                step = "migrating " + plan.settings().migrations();
                step(lease, step, mine, takeover, started);
                if (takeover && before.migration() != null && !before.migration().inTransaction()) {
                    new InterruptedMigration(plan, connections, epochs, lease, before).repair(init.flyway());
                }
                MigrateResult result;
                boolean tookOver = takeover;
                try (MigrationProgress progress = new MigrationProgress(
                        (version, description, inTransaction) -> inTx(c -> {
                            epochs.markMigration(c, lease.token(), version, description, inTransaction);
                            return null;
                        }),
                        text -> init.report(InitStatus.Status.IN_PROGRESS, mine, Initializer.Part.holding(tookOver),
                                text, started))) {
                    // This holder's own migrations do not count against WARDEN_INIT_TIMEOUT (see InitBudget).
                    budget.observe(true);
                    try {
                        result = init.flyway(connections.migrationDataSource(plan, lease.token()), progress).migrate();
                    } finally {
                        budget.observe(false);
                    }
                }
                inTx(c -> {
                    epochs.markMigration(c, lease.token(), null, null, true);
                    epochs.event(c, lease.token(), "migrated", result.migrationsExecuted + " migration(s), schema version "
                            + result.targetSchemaVersion);
                    return null;
                });
            }
            step = plan.seeders().isEmpty() ? "completing" : "seeding";
            step(lease, step, mine, takeover, started);
            seedAndComplete(lease, wiped);
        } catch (LeaseLostException lost) {
            throw lost;
        } catch (Exception failure) {
            if (init.stopping()) {
                throw failure; // a shutdown, not a failure of the epoch: left IN_PROGRESS for the next holder
            }
            if (!lease.held()) {
                throw new LeaseLostException("The init lock of " + owner + " (token " + lease.token() + ") was lost"
                        + " while " + step + "; its work was cut and rolled back: " + failure.getMessage(), failure);
            }
            Epochs.Epoch now = readQuietly();
            if (now != null && now.token() != lease.token()) {
                // Stalled past its lease: the server ended this holder's session and another took over.
                throw new LeaseLostException("Another process (" + now.owner() + ", token "
                        + now.token() + ") took epoch " + epochs.epoch() + " over from this one (token " + lease.token()
                        + ") while it was stalled; this process's work was rolled back: " + failure.getMessage(), failure);
            }
            if (InitFailures.waitedOut(failure)) {
                throw failure; // the connection, not the work: waited out, not counted
            }
            markFailed(lease, failure);
            throw new AttemptFailedException(failure);
        }
        Epochs.Epoch after = inTx(epochs::read);
        log.info("Epoch {} initialised by this process in {} ms", epochs.epoch(),
                Duration.ofNanos(System.nanoTime() - started).toMillis());
        return init.done(after, Initializer.Part.completed(takeover), started);
    }

    /**
     * Ends the migration and work connections an earlier holder of this application left on the
     * server (it died, was cut off, froze or lost its lock): they may hold Flyway's lock, the rows it
     * wrote and the locks and open transaction of a long statement or of a batch cut in the middle,
     * which nothing else would end (the server counts neither as idle); the inserts of this holder's
     * seeders would wait for them.
     */
    private void endEarlierHoldersWork(InitLock.Lease lease) throws SQLException {
        int ended;
        long t0 = System.nanoTime();
        // Auto-commit: each look at pg_stat_activity must be fresh (a transaction sees one snapshot of it).
        try (Connection c = work.getConnection()) {
            c.setAutoCommit(true);
            lease.verify(c);
            ended = HolderConnections.endEarlier(c, InitConnections.lockId(plan), lease.token(),
                    plan.settings().idleTimeout());
        }
        if (ended > 0) {
            log.warn("Ended {} connection(s) an earlier holder of epoch {} left on the server (its migrations or"
                    + " seeding; {} ms)", ended, epochs.epoch(), (System.nanoTime() - t0) / 1_000_000);
            inTx(c -> {
                epochs.event(c, lease.token(), "ended-earlier-work", ended + " connection(s)");
                return null;
            });
        }
    }

    private void step(InitLock.Lease lease, String what, Epochs.Epoch mine, boolean takeover, long started) {
        if (!lease.held()) {
            throw new LeaseLostException("The init lock of " + owner + " (token " + lease.token() + ") was lost before "
                    + what + ".");
        }
        init.report(InitStatus.Status.IN_PROGRESS, mine, Initializer.Part.holding(takeover), what, started);
    }

    private void wipe(InitLock.Lease lease) throws SQLException {
        inTx(c -> {
            lease.verify(c);
            try (Statement st = c.createStatement()) {
                for (String schema : plan.schemas()) {
                    st.execute("drop schema if exists " + schema + " cascade");
                    st.execute("create schema " + schema);
                }
            }
            epochs.markWiped(c, lease, String.join(",", plan.schemas()));
            return null;
        });
        log.info("Wiped schemas {} for epoch {}", plan.schemas(), epochs.epoch());
    }

    private void seedAndComplete(InitLock.Lease lease, boolean wiped) throws SQLException {
        inTx(c -> {
            try (Statement st = c.createStatement()) {
                // Seeders see the application schemas first, as the migrations do (Flyway's default schema).
                st.execute("set local search_path to " + String.join(", ", plan.schemas()) + ", public");
            }
            Seeder.Context context = new Seeder.Context() {
                @Override public Connection connection() { return c; }
                @Override public String epoch() { return epochs.epoch(); }
                @Override public boolean wiped() { return wiped; }
                @Override public void progress(String text) { init.progress("seeding: " + text); }
            };
            for (Initializer.NamedSeeder s : plan.seeders()) {
                try {
                    s.seeder().seed(context);
                } catch (SQLException | RuntimeException e) {
                    throw e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InitFailedException("Interrupted while seeder " + s.version() + " ran (Warden is closing)", e);
                } catch (Exception e) {
                    throw new IllegalStateException("Seeder " + s.version() + " failed: " + e.getMessage(), e);
                }
            }
            lease.verify(c);
            epochs.markCompleted(c, lease, plan.seeders().size() + " seeder(s)");
            return null;
        });
    }

    private void markFailed(InitLock.Lease lease, Exception failure) {
        try {
            inTx(c -> {
                epochs.markFailed(c, lease.token(), describe(failure));
                return null;
            });
        } catch (SQLException | RuntimeException e) {
            log.warn("Could not record the failure of epoch {} (the next holder will take over): {}", epochs.epoch(),
                    e.getMessage());
        }
    }

    private static String describe(Throwable t) {
        String text = t.getClass().getSimpleName() + ": " + t.getMessage();
        return text.length() > 2000 ? text.substring(0, 2000) : text;
    }

    private Epochs.Epoch readQuietly() {
        try {
            return inTx(epochs::read);
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    private interface SqlWork<T> {
        T apply(Connection c) throws SQLException;
    }

    /** One transaction on a new work connection. */
    private <T> T inTx(SqlWork<T> body) throws SQLException {
        try (Connection c = work.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = body.apply(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }
}
