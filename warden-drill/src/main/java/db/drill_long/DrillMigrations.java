package db.drill_long;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The long migrations of {@code warden drill init --migration-seconds S} and
 * {@code --concurrent-index}, read from the worker's environment: {@code DRILL_MIGRATION_SECONDS},
 * {@code DRILL_CONCURRENT_INDEX}. Each application of a long migration writes one row to
 * {@code warden_drill_audit.migration_run} (created by the drill), in the migration's own
 * transaction for a transactional one, so the drill counts from the data how often each was applied.
 */
final class DrillMigrations {

    static final String AUDIT = "warden_drill_audit.migration_run";

    private DrillMigrations() {
    }

    static int seconds() {
        return Integer.parseInt(System.getenv().getOrDefault("DRILL_MIGRATION_SECONDS", "0"));
    }

    static boolean concurrentIndex() {
        return Boolean.parseBoolean(System.getenv().getOrDefault("DRILL_CONCURRENT_INDEX", "false"));
    }

    /** Rows of the table the concurrent index is built on. */
    static final int ROWS = 400;

    static void audit(Connection c, String kind) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into " + AUDIT + " (epoch, kind, pid) values (?, ?, ?)")) {
            ps.setString(1, System.getenv().getOrDefault("WARDEN_INIT_EPOCH", "?"));
            ps.setString(2, kind);
            ps.setLong(3, ProcessHandle.current().pid());
            ps.executeUpdate();
        }
    }
}
