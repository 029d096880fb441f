package dev.warden.internal.init;

import dev.warden.InitStatus;
import dev.warden.LeaseLostException;
import dev.warden.spi.InitLock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;

/**
 * The records of one epoch of one application in Warden's schema: its row in {@code init_epochs}
 * (keyed by scope and epoch) and its events in {@code init_log}. Every write the holder makes
 * names its fencing token, so a holder that lost its lock cannot change the row.
 */
final class Epochs {

    /**
     * One epoch's row: its status, its holder (owner and fencing token), its tries, whether it was
     * wiped, when it finished and why it failed last, and the migration its holder started last, if any.
     */
    record Epoch(InitStatus.Status status, InitStatus.Owner holder, Tries tries, boolean wiped, Instant finishedAt,
                 String error, RunningMigration migration) {
        boolean is(InitStatus.Status s) {
            return status == s;
        }

        String owner() {
            return holder.name();
        }

        long token() {
            return holder.token();
        }

        int attempts() {
            return tries.started();
        }

        int failures() {
            return tries.failed();
        }
    }

    /** {@code started}: initialisations of the epoch started; {@code failed}: those whose own work failed. */
    record Tries(int started, int failed) {
    }

    /**
     * The migration a holder runs (or ran last): its version (empty for a repeatable one), its
     * description, whether Flyway runs it in a transaction, and how long ago it started.
     */
    record RunningMigration(String version, String description, boolean inTransaction, Duration running) {
        /** {@code migration 2 'create index'}, as logs and progress name it. */
        String name() {
            return MigrationProgress.name(version, description, true);
        }
    }

    private final String schema;
    private final String scope;
    private final String epoch;
    private final String owner;

    Epochs(String schema, String scope, String epoch, String owner) {
        this.schema = schema;
        this.scope = scope;
        this.epoch = epoch;
        this.owner = owner;
    }

    String epoch() {
        return epoch;
    }

    /** The epoch's row, or null when nobody started it. */
    Epoch read(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select status, owner, token, attempts, failures,"
                + " wiped_at is not null, finished_at, error, migration_version, migration_description, migration_in_tx,"
                + " (extract(epoch from clock_timestamp() - migration_started_at) * 1000)::bigint"
                + " from " + schema + ".init_epochs where scope = ? and epoch = ?")) {
            ps.setString(1, scope);
            ps.setString(2, epoch);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Timestamp finished = rs.getTimestamp(7);
                String description = rs.getString(10);
                long runningMs = rs.getLong(12);
                RunningMigration m = description == null ? null : new RunningMigration(rs.getString(9), description,
                        rs.getBoolean(11), Duration.ofMillis(Math.max(0, runningMs)));
                return new Epoch(InitStatus.Status.valueOf(rs.getString(1)), new InitStatus.Owner(rs.getString(2), rs.getLong(3)),
                        new Tries(rs.getInt(4), rs.getInt(5)), rs.getBoolean(6), finished == null ? null : finished.toInstant(),
                        rs.getString(8), m);
            }
        }
    }

    /**
     * Takes over the row of the same epoch written before epochs were scoped (scope ''), unless this
     * application has its own already: an upgraded service does not initialise its epoch again.
     */
    void adoptLegacy(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update " + schema + ".init_epochs set scope = ?"
                + " where scope = '' and epoch = ? and not exists (select 1 from " + schema
                + ".init_epochs where scope = ? and epoch = ?)")) {
            ps.setString(1, scope);
            ps.setString(2, epoch);
            ps.setString(3, scope);
            ps.setString(4, epoch);
            ps.executeUpdate();
        }
    }

    /** Marks the epoch IN_PROGRESS with this lease's token (in the caller's transaction, after {@code lease.verify}). */
    Epoch markStarted(Connection c, InitLock.Lease lease, Epoch before, boolean takeover) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into " + schema + ".init_epochs as e"
                + " (scope, epoch, status, owner, token, attempts, started_at)"
                + " values (?, ?, 'IN_PROGRESS', ?, ?, 1, clock_timestamp())"
                + " on conflict (scope, epoch) do update set status = 'IN_PROGRESS', owner = excluded.owner,"
                + " token = excluded.token, attempts = e.attempts + 1, started_at = excluded.started_at,"
                + " finished_at = null, error = null"
                + " where e.status <> 'COMPLETED' and (e.token is null or e.token < excluded.token)"
                + " returning attempts, failures, wiped_at is not null")) {
            ps.setString(1, scope);
            ps.setString(2, epoch);
            ps.setString(3, owner);
            ps.setLong(4, lease.token());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new LeaseLostException("Epoch " + epoch + " was completed or claimed with a newer token"
                            + " than " + lease.token() + " while " + owner + " took the init lock.");
                }
                Epoch e = new Epoch(InitStatus.Status.IN_PROGRESS, new InitStatus.Owner(owner, lease.token()),
                        new Tries(rs.getInt(1), rs.getInt(2)), rs.getBoolean(3), null, null,
                        before == null ? null : before.migration());
                event(c, lease.token(), takeover ? "takeover" : "started", takeover
                        ? "from " + before.owner() + " (token " + before.token() + ")" : "attempt " + e.attempts());
                return e;
            }
        }
    }

    /** Records the wipe (fenced by the token). */
    void markWiped(Connection c, InitLock.Lease lease, String schemas) throws SQLException {
        fenced(c, lease, "update " + schema + ".init_epochs set wiped_at = clock_timestamp()"
                + " where scope = ? and epoch = ? and token = ? and status = 'IN_PROGRESS'");
        event(c, lease.token(), "wiped", schemas);
    }

    /** Marks the epoch COMPLETED (fenced by the token). */
    void markCompleted(Connection c, InitLock.Lease lease, String detail) throws SQLException {
        fenced(c, lease, "update " + schema + ".init_epochs set status = 'COMPLETED',"
                + " finished_at = clock_timestamp(), error = null"
                + " where scope = ? and epoch = ? and token = ? and status = 'IN_PROGRESS'");
        event(c, lease.token(), "completed", detail);
    }

    /** Marks the epoch FAILED and counts one failure (only while this token still owns it). */
    void markFailed(Connection c, long token, String error) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update " + schema + ".init_epochs"
                + " set status = 'FAILED', failures = failures + 1, finished_at = clock_timestamp(), error = ?"
                + " where scope = ? and epoch = ? and token = ? and status = 'IN_PROGRESS'")) {
            ps.setString(1, error);
            ps.setString(2, scope);
            ps.setString(3, epoch);
            ps.setLong(4, token);
            ps.executeUpdate();
        }
        event(c, token, "failed", error);
    }

    private void fenced(Connection c, InitLock.Lease lease, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, scope);
            ps.setString(2, epoch);
            ps.setLong(3, lease.token());
            if (ps.executeUpdate() != 1) {
                throw new LeaseLostException("Epoch " + epoch + " is no longer held by token " + lease.token() + " of "
                        + owner + ": another process took it over.");
            }
        }
    }

    /**
     * Records the migration the holder starts now (fenced by the token, in its own short
     * transaction), or clears it with null: what waiters show and what a holder taking over reads.
     */
    void markMigration(Connection c, long token, String version, String description, boolean inTransaction)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update " + schema + ".init_epochs set migration_version = ?,"
                + " migration_description = ?, migration_in_tx = ?,"
                + " migration_started_at = case when ? is null then null else clock_timestamp() end"
                + " where scope = ? and epoch = ? and token = ? and status = 'IN_PROGRESS'")) {
            ps.setString(1, version);
            ps.setString(2, description);
            ps.setObject(3, description == null ? null : inTransaction, java.sql.Types.BOOLEAN);
            ps.setString(4, description);
            ps.setString(5, scope);
            ps.setString(6, epoch);
            ps.setLong(7, token);
            if (ps.executeUpdate() != 1) {
                throw new LeaseLostException("Epoch " + epoch + " is no longer held by token " + token + " of " + owner
                        + ": another process took it over.");
            }
        }
    }

    /** Appends an event to {@code init_log}. */
    void event(Connection c, long token, String event, String detail) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into " + schema
                + ".init_log (scope, epoch, token, owner, event, detail) values (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, scope);
            ps.setString(2, epoch);
            ps.setLong(3, token);
            ps.setString(4, owner);
            ps.setString(5, event);
            ps.setString(6, detail);
            ps.executeUpdate();
        }
    }
}
