package dev.warden.internal.init;

import dev.warden.spi.InitLock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a holder taking over does about a non-transactional migration (Flyway's
 * {@code executeInTransaction=false}, {@code CREATE INDEX CONCURRENTLY}, ...) that the previous
 * holder was running when it died, was cut off or lost its lock. Such a migration may be partly
 * applied and is not in Flyway's history, so Flyway would run it again:
 * <ul>
 *   <li>if Flyway's history has it as applied, it had finished: nothing to do;</li>
 *   <li>otherwise the invalid indexes in the application's schemas (what an interrupted
 *   {@code CREATE INDEX CONCURRENTLY} or {@code REINDEX CONCURRENTLY} leaves: built in part, never
 *   used by queries, in the way of the same statement run again) are dropped, each named in the
 *   log and in {@code init_log}, and the migration is run again, said so in the log and in
 *   {@code init_log} ({@code rerun-interrupted}). A migration that fails on its second run counts as
 *   a failed attempt, so a migration that cannot be run twice ends in FAILED with its error after
 *   {@code WARDEN_INIT_ATTEMPTS}, never in a loop.</li>
 * </ul>
 * If Flyway itself recorded the migration as failed (it does for a non-transactional migration
 * whose statement returned an error), Flyway refuses to go on until the half-applied changes are
 * removed and {@code flyway repair} has run: that error is the attempt's failure, with the
 * migration's name.
 */
final class InterruptedMigration {

    private static final Logger log = LoggerFactory.getLogger(InterruptedMigration.class);

    private final Initializer.Plan plan;
    private final InitConnections connections;
    private final Epochs epochs;
    private final InitLock.Lease lease;
    private final Epochs.Epoch before;

    InterruptedMigration(Initializer.Plan plan, InitConnections connections, Epochs epochs, InitLock.Lease lease,
                         Epochs.Epoch before) {
        this.plan = plan;
        this.connections = connections;
        this.epochs = epochs;
        this.lease = lease;
        this.before = before;
    }

    /** Looks at the interrupted migration and clears what it left, as the class comment says. */
    void repair(Flyway flyway) throws SQLException {
        Epochs.RunningMigration m = before.migration();
        MigrationInfo info = find(flyway, m);
        if (info != null && info.getState() == MigrationState.SUCCESS) {
            log.info("Non-transactional {} of epoch {} had finished before {} stopped", m.name(),
                    epochs.epoch(), before.owner());
            return;
        }
        if (info != null && info.getState().isFailed()) {
            return; // Flyway's own failed state: Flyway says what to do when it migrates
        }
        List<String> dropped = new ArrayList<>();
        try (Connection c = connections.work()) {
            c.setAutoCommit(true);
            for (String index : invalidIndexes(c)) {
                try (Statement st = c.createStatement()) {
                    st.execute("drop index concurrently if exists " + index);
                }
                dropped.add(index);
            }
            String detail = MigrationProgress.name(m.version(), m.description(), false) + " was interrupted when " + before.owner() + " (token "
                    + before.token() + ") stopped; running it again"
                    + (dropped.isEmpty() ? "" : " after dropping the invalid index(es) it left: " + String.join(", ", dropped));
            log.warn("{}", detail);
            epochs.event(c, lease.token(), "rerun-interrupted", detail);
        }
    }

    private static MigrationInfo find(Flyway flyway, Epochs.RunningMigration m) {
        MigrationInfo found = null;
        for (MigrationInfo i : flyway.info().all()) {
            boolean same = m.version() == null
                    ? i.getVersion() == null && m.description().equals(i.getDescription())
                    : i.getVersion() != null && m.version().equals(i.getVersion().getVersion());
            if (same) {
                found = i; // the last row for it: a failed row may be followed by a later success
            }
        }
        return found;
    }

    /** The invalid indexes in the application's schemas, quoted: {@code "app"."item_label_idx"}. */
    private List<String> invalidIndexes(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select quote_ident(n.nspname) || '.' || quote_ident(ic.relname)"
                + " from pg_index i join pg_class ic on ic.oid = i.indexrelid"
                + " join pg_namespace n on n.oid = ic.relnamespace"
                + " where not i.indisvalid and n.nspname = any(?) order by 1")) {
            ps.setArray(1, c.createArrayOf("text", plan.schemas().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}
