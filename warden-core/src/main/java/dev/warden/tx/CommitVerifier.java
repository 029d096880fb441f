package dev.warden.tx;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out what became of a COMMIT whose connection was lost while it was on the wire, for the
 * transactions that ask for it ({@code verifyCommit()}).
 *
 * <p>Before COMMIT, one statement on the transaction's own connection reads its transaction id (only
 * if it has one: a transaction that wrote nothing has none, and its outcome does not matter), the WAL
 * insert position (everything the transaction wrote lies before it) and the server's start time.
 * After a lost COMMIT, a fresh connection asks {@code pg_xact_status(xid)}. The answer is trusted
 * only when the transaction id cannot have been handed to another transaction since:
 * <ul>
 *   <li>the same server instance (same start time) answers: its transaction counter never went back;</li>
 *   <li>another instance (a promoted standby, a restarted server) answers and has replayed the WAL
 *       at least up to the recorded position, so it knows this transaction's writes and its id;</li>
 *   <li>another instance answers that the id is in its future: it never saw the transaction, which
 *       therefore is not in that server's history (it is lost with the old primary): aborted.</li>
 * </ul>
 * Anything else is "no answer", and the caller gets {@link CommitOutcomeUnknownException}.
 */
final class CommitVerifier {

    private static final Logger log = LoggerFactory.getLogger(CommitVerifier.class);

    /** What became of a transaction. */
    enum Outcome { COMMITTED, ABORTED, UNKNOWN }

    /** What is known of a transaction before its COMMIT; {@code xid} null when it has none. */
    record Ticket(String xid, String lsn, String serverStart) {
    }

    private static final String BEFORE_COMMIT = "select pg_current_xact_id_if_assigned()::text,"
            + " case when pg_is_in_recovery() then null else pg_current_wal_insert_lsn()::text end,"
            + " pg_postmaster_start_time()::text";
    private static final String STATUS = "select pg_xact_status(?::xid8), pg_postmaster_start_time()::text,"
            + " coalesce(pg_last_wal_replay_lsn() >= ?::pg_lsn, false)";

    private final DataSource fresh;
    private final Duration patience;

    /**
     * @param fresh    where the connection that asks comes from (the raw pool: it reconnects, also
     *                 to a new primary behind a multi-host URL, and is not failed fast while degraded)
     * @param patience how long to keep asking (no server yet, transaction still in progress)
     */
    CommitVerifier(DataSource fresh, Duration patience) {
        this.fresh = fresh;
        this.patience = patience;
    }

    CommitVerifier withPatience(Duration other) {
        return new CommitVerifier(fresh, other);
    }

    /** One round trip on the transaction's connection, just before COMMIT. */
    static Ticket ticket(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(BEFORE_COMMIT)) {
            rs.next();
            return new Ticket(rs.getString(1), rs.getString(2), rs.getString(3));
        }
    }

    /** Asks fresh connections until a trustworthy answer comes or the patience runs out. */
    Outcome resolve(Ticket ticket, String label) {
        if (ticket.xid() == null) {
            // It wrote nothing: committed or not, the database is the same.
            return Outcome.COMMITTED;
        }
        long deadline = System.nanoTime() + patience.toNanos();
        String last = "no answer";
        for (int round = 0; System.nanoTime() - deadline < 0 && !Thread.currentThread().isInterrupted(); round++) {
            try (Connection c = fresh.getConnection()) {
                c.setAutoCommit(true);
                Outcome o = ask(c, ticket);
                if (o != null) {
                    log.info("Transaction '{}': COMMIT lost with its connection; xid {} found {}", label,
                            ticket.xid(), o);
                    return o;
                }
                last = "still in progress";
            } catch (SQLException | RuntimeException e) {
                last = e.toString();
            }
            LockSupport.parkNanos(Math.min(200_000_000L, 20_000_000L << Math.min(round, 4)));
        }
        log.warn("Transaction '{}': COMMIT lost with its connection and no server could tell its outcome (xid {}): {}",
                label, ticket.xid(), last);
        return Outcome.UNKNOWN;
    }

    /** The outcome, {@link Outcome#UNKNOWN} when this server's answer cannot be trusted, null while in progress. */
    private static Outcome ask(Connection c, Ticket t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(STATUS)) {
            ps.setString(1, t.xid());
            ps.setString(2, t.lsn() == null ? "0/0" : t.lsn());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String status = rs.getString(1);
                boolean sameServer = t.serverStart() != null && t.serverStart().equals(rs.getString(2));
                boolean replayedPast = t.lsn() != null && rs.getBoolean(3);
                if (!sameServer && !replayedPast) {
                    return Outcome.UNKNOWN;
                }
                if (status == null) {
                    // Too old for the server's commit log: it cannot tell any more.
                    return Outcome.UNKNOWN;
                }
                return switch (status) {
                    case "committed" -> Outcome.COMMITTED;
                    case "aborted" -> Outcome.ABORTED;
                    default -> null; // in progress: the server is still committing it (e.g. waiting for a standby)
                };
            }
        } catch (SQLException e) {
            if ("22023".equals(e.getSQLState()) && e.getMessage() != null && e.getMessage().contains("future")) {
                // This server never saw the id. The same instance cannot forget an id it gave out; another
                // one (promoted standby) means the transaction is not in the history that survived.
                return Outcome.ABORTED;
            }
            throw e;
        }
    }
}
