package dev.warden.internal.tx;

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
 * insert position L (everything the transaction wrote lies before it, its commit record after it)
 * and the server's start time. After a lost COMMIT, a fresh connection asks a primary:
 * <ul>
 *   <li>the same server instance, or one that restarted without recovery (a clean shutdown keeps
 *       the transaction counter): {@code pg_xact_status(xid)} is the answer;</li>
 *   <li>a server whose last recovery (a promoted standby, a crash restart) replayed WAL past L: it
 *       knows this transaction's writes and id, and {@code pg_xact_status(xid)} is the answer;</li>
 *   <li>a server whose recovery ended before L: the commit record, which lies after L, is not in its
 *       history and never will be (a new timeline began there): aborted, safe to run again.</li>
 * </ul>
 * "In progress" (the old backend is still committing, e.g. waiting for a synchronous standby) and a
 * server still in recovery are asked again; an old backend that sits idle in the transaction never
 * received the COMMIT and is ended, which settles the outcome (aborted); when no answer comes within the patience, the caller
 * gets {@link CommitOutcomeUnknownException}.
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
    private static final String WHERE = "select pg_is_in_recovery(), pg_postmaster_start_time()::text,"
            + " pg_last_wal_replay_lsn() is null, coalesce(pg_last_wal_replay_lsn() >= ?::pg_lsn, false)";
    private static final String STATUS = "select pg_xact_status(?::xid8)";
    /**
     * Ends the backend that holds the transaction when it sits idle in it: the COMMIT never reached
     * it (a half-open connection keeps such a backend, and its locks, for hours). A backend that
     * reads COMMIT meanwhile either aborts or finishes committing before it exits; either way the
     * next question gets a final answer. A busy backend (running COMMIT) is left alone.
     */
    private static final String END_STRANDED = "select count(pg_terminate_backend(pid)) from pg_stat_activity"
            + " where backend_xid = xid(?::xid8) and state in ('idle in transaction', 'idle in transaction (aborted)')"
            + " and pid <> pg_backend_pid()";

    private final DataSource fresh;
    private final Duration patience;
    private final boolean direct;

    /**
     * @param fresh    where the connection that asks comes from (the raw pool: it reconnects, also
     *                 to a new primary behind a multi-host URL, and is not failed fast while degraded)
     * @param patience how long to keep asking (no server yet, transaction still in progress)
     */
    CommitVerifier(DataSource fresh, Duration patience) {
        this(fresh, patience, true);
    }

    private CommitVerifier(DataSource fresh, Duration patience, boolean direct) {
        this.fresh = fresh;
        this.patience = patience;
        this.direct = direct;
    }

    CommitVerifier withPatience(Duration other) {
        return new CommitVerifier(fresh, other, direct);
    }

    /** False when a pooler stands in between: the server's answer to COMMIT is then not read. */
    boolean direct() {
        return direct;
    }

    /** With {@code direct} false (a pooler in between), the server's answer to COMMIT is not read. */
    CommitVerifier direct(boolean other) {
        return new CommitVerifier(fresh, patience, other);
    }

    /**
     * What {@code failure}, thrown by COMMIT, says without asking anyone: {@link Outcome#ABORTED} when
     * the server itself answered that it ended the session before applying it ({@link CommitAnswer}),
     * on a direct connection; else {@link Outcome#UNKNOWN}. The server's {@code CommandComplete} is not
     * known here (pgjdbc's {@code commit()} drops it), so only the idle-in-transaction timeout counts.
     */
    Outcome answered(Throwable failure) {
        return answered(failure, null);
    }

    /** As {@link #answered(Throwable)}, with the answer as {@code wire} read it (null when not read so). */
    Outcome answered(Throwable failure, WireCommit wire) {
        if (wire != null && wire.committed()) {
            return Outcome.COMMITTED; // CommandComplete(COMMIT) arrived before the failure
        }
        return direct && CommitAnswer.notApplied(failure, wire != null && wire.answered())
                ? Outcome.ABORTED : Outcome.UNKNOWN;
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
                if (o == Outcome.UNKNOWN) {
                    last = "the server's commit log no longer covers this transaction";
                    break;
                }
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

    /** The outcome, or null when this server cannot tell yet (in recovery, or the transaction still in progress). */
    private static Outcome ask(Connection c, Ticket t) throws SQLException {
        if (t.lsn() == null) {
            return Outcome.UNKNOWN;
        }
        boolean trusted;
        try (PreparedStatement ps = c.prepareStatement(WHERE)) {
            ps.setString(1, t.lsn());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return null; // a standby: it may not have replayed the commit yet
                }
                boolean sameServer = t.serverStart() != null && t.serverStart().equals(rs.getString(2));
                boolean neverRecovered = rs.getBoolean(3);
                boolean replayedPast = rs.getBoolean(4);
                trusted = sameServer || neverRecovered || replayedPast;
            }
        }
        if (!trusted) {
            // Its history ends before this transaction's commit record: it did not commit there.
            return Outcome.ABORTED;
        }
        try (PreparedStatement ps = c.prepareStatement(STATUS)) {
            ps.setString(1, t.xid());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String status = rs.getString(1);
                if (status == null) {
                    return Outcome.UNKNOWN; // too old for the server's commit log
                }
                return switch (status) {
                    case "committed" -> Outcome.COMMITTED;
                    case "aborted" -> Outcome.ABORTED;
                    default -> endStranded(c, t); // in progress: still committing, or stranded
                };
            }
        } catch (SQLException e) {
            if ("22023".equals(e.getSQLState()) && e.getMessage() != null && e.getMessage().contains("future")) {
                return Outcome.ABORTED; // the server never saw this id: not in its history
            }
            throw e;
        }
    }

    /** Ends the transaction's backend if it sits idle in it; null: ask again (the backend may still be exiting). */
    private static Outcome endStranded(Connection c, Ticket t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(END_STRANDED)) {
            ps.setString(1, t.xid());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getLong(1) > 0) {
                    log.info("Ended the backend stranded idle in transaction {} (its COMMIT never arrived)", t.xid());
                }
            }
        }
        return null;
    }
}
