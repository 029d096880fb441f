package dev.warden.drill.init;

import static dev.warden.drill.init.InitDrill.APP_SCHEMA;
import static dev.warden.drill.init.InitDrill.AUDIT_SCHEMA;
import static dev.warden.drill.init.InitDrill.META_SCHEMA;

import dev.warden.InitLocks;
import dev.warden.spi.ConnectionFactory;
import dev.warden.spi.InitLock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the database recorded for one epoch of {@code warden drill init}: Warden's init log and
 * epochs table, the seeder's rows and, with a long migration, the migration's own audit table. The
 * drill counts here, never in the workers' word.
 */
record EpochCounts(InitLog log, Seeded seeded, String owner, MigrationRuns migration) {

    /**
     * Warden's init log for the epoch: initialisations completed, wipes, takeovers, interrupted
     * migrations run again, and ms from its first entry to its last.
     */
    record InitLog(long initializations, long wipes, long takeovers, long reruns, long holdMs) {
    }

    /** The seeder's runs for the epoch and the rows they left. */
    record Seeded(long seeds, long rows) {
    }

    /** The long migration's runs for the epoch and the invalid indexes left (0 without a long migration). */
    record MigrationRuns(long runs, long invalidIndexes) {
    }

    /** Reads the counts of {@code epoch}; the migration's runs and invalid indexes only with a long migration. */
    static EpochCounts read(Connection c, String epoch, boolean longMigration) throws SQLException {
        long runs = 0;
        long invalid = 0;
        if (longMigration) {
            runs = count(c, "select count(*) from " + AUDIT_SCHEMA + ".migration_run where epoch = ?", epoch);
            invalid = count(c, "select count(*) from pg_index i join pg_class ic on ic.oid = i.indexrelid"
                    + " join pg_namespace s on s.oid = ic.relnamespace where not i.indisvalid and s.nspname = '"
                    + APP_SCHEMA + "' and ? is not null", epoch);
        }
        InitLog log = new InitLog(
                count(c, "select count(*) from " + META_SCHEMA + ".init_log where epoch = ? and event = 'completed'", epoch),
                count(c, "select count(*) from " + META_SCHEMA + ".init_log where epoch = ? and event = 'wiped'", epoch),
                count(c, "select count(*) from " + META_SCHEMA + ".init_log where epoch = ? and event = 'takeover'", epoch),
                count(c, "select count(*) from " + META_SCHEMA + ".init_log where epoch = ?"
                        + " and event = 'rerun-interrupted'", epoch),
                count(c, "select coalesce((extract(epoch from (max(at) - min(at))) * 1000)::bigint, 0) from "
                        + META_SCHEMA + ".init_log where epoch = ?", epoch));
        Seeded seeded = new Seeded(count(c, "select count(*) from " + APP_SCHEMA + ".seed_run where epoch = ?", epoch),
                count(c, "select count(*) from " + APP_SCHEMA + ".item where epoch = ?", epoch));
        String owner = string(c, "select owner from " + META_SCHEMA + ".init_epochs where epoch = ? and status = 'COMPLETED'",
                epoch);
        return new EpochCounts(log, seeded, owner, new MigrationRuns(runs, invalid));
    }

    /** Milliseconds from {@code at} (the holder's kill or cut) to the first takeover of {@code epoch} after it, or null. */
    static Long takeoverMs(Connection c, Timestamp at, String epoch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select (extract(epoch from (min(at) - ?::timestamptz)) * 1000)::bigint"
                + " from " + META_SCHEMA + ".init_log where epoch = ? and event = 'takeover' and at > ?")) {
            ps.setTimestamp(1, at);
            ps.setString(2, epoch);
            ps.setTimestamp(3, at);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long v = rs.getLong(1);
                return rs.wasNull() ? null : Math.max(0, v);
            }
        }
    }

    /**
     * The holder's owner once its record says it runs the migration {@code description}, or null
     * (ended first, or {@code deadline}, a nanoTime, passed).
     */
    static String awaitLongMigration(Connection c, String epoch, String description, long deadline) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("select owner from " + META_SCHEMA + ".init_epochs"
                + " where epoch = ? and status = 'IN_PROGRESS' and migration_description = ?")) {
            ps.setString(1, epoch);
            ps.setString(2, description);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return rs.getString(1);
                    }
                }
                Thread.sleep(20);
            }
        }
        return null;
    }

    /** The owner of {@code epoch} once a holder marked it IN_PROGRESS, or null when {@code deadline} (nanoTime) passed first. */
    static String awaitHolder(Connection c, String epoch, long deadline) throws InterruptedException, SQLException {
        try (PreparedStatement ps = c.prepareStatement("select owner, clock_timestamp() from " + META_SCHEMA
                + ".init_epochs where epoch = ? and status = 'IN_PROGRESS'")) {
            ps.setString(1, epoch);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return rs.getString(1);
                    }
                } catch (SQLException notYetCreated) {
                    // the drill's meta schema is created by the first worker
                }
                Thread.sleep(2);
            }
        }
        return null;
    }

    /** True when the init lock ({@code lease} or advisory) can be taken now: no process left it held. */
    static boolean lockFree(ConnectionFactory factory, boolean lease) throws SQLException {
        InitLock l = lease
                ? InitLocks.lease(factory, META_SCHEMA, List.of(APP_SCHEMA), Duration.ofSeconds(5), Duration.ofSeconds(1))
                : InitLocks.advisory(factory, META_SCHEMA, List.of(APP_SCHEMA));
        try (l) {
            Optional<InitLock.Lease> held = l.tryAcquire("warden-drill-check");
            held.ifPresent(InitLock.Lease::close);
            return held.isPresent();
        }
    }

    private static long count(Connection c, String sql, String epoch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, epoch);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static String string(Connection c, String sql, String epoch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, epoch);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
