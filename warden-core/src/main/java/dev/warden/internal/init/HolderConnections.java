package dev.warden.internal.init;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * The names of a holder's own connections, its work and Flyway's, and the ending of those an
 * earlier holder left on the server.
 *
 * <p>A name is {@code <application>-<kind>-<lock id>-<token>}: the application name cut to 16
 * characters and reduced to printable ASCII (PostgreSQL escapes every other byte as four characters
 * and cuts names at 63 bytes, which would cut the token off), the kind ({@code migrate} or
 * {@code work}), 16 hex digits of the SHA-256 of the lock's name (Warden's schema and the
 * application's schemas: two applications never share it, as two could share the 31-bit advisory
 * key) and the holder's fencing token.
 */
final class HolderConnections {

    /** Flyway's connections: no idle limit, so the next holder ends them whatever their state. */
    static final String MIGRATE = "migrate";
    /** Wipe, seeders and Warden's records: ended when running or mid-batch, never when idle. */
    static final String WORK = "work";

    private static final int APPLICATION_CHARS = 16;

    /*
     * Backends of this database whose name is an earlier holder's of this lock: a lower token, since
     * tokens only grow and a holder must never end a newer one (a holder that resumes after a pause
     * past its lease would otherwise end the live holder's work). Flyway's in any state (an idle one
     * may hold Flyway's session lock); work only while it runs a statement or waits in the middle
     * of a batch (the server counts neither as idle): idle, or idle in a transaction, it holds
     * nothing the server will not end after WARDEN_INIT_IDLE_TIMEOUT, and its commit is refused by
     * the fencing token. Only roles this session is a member of.
     */
    private static final String EARLIER = " from pg_stat_activity where datname = current_database()"
            + " and pid <> pg_backend_pid() and usesysid is not null and pg_has_role(usesysid, 'MEMBER')"
            + " and (substring(application_name from ?)::numeric < ?"
            + " or (substring(application_name from ?)::numeric < ?"
            + " and state not in ('idle', 'idle in transaction', 'idle in transaction (aborted)')))";

    private HolderConnections() {
    }

    /** The lock id in the names of the connections of holders of this application's lock. */
    static String lockId(String wardenSchema, List<String> schemas) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((wardenSchema + "/" + InitSchema.lockName(schemas)).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java platform has SHA-256", e);
        }
    }

    /** The application name of a connection of this kind of the holder with this token. */
    static String name(String applicationName, String kind, String lockId, long token) {
        StringBuilder app = new StringBuilder();
        applicationName.codePoints().limit(APPLICATION_CHARS)
                .forEach(cp -> app.append(cp >= 0x20 && cp < 0x7f ? (char) cp : '_'));
        return app + "-" + kind + "-" + lockId + "-" + token;
    }

    /**
     * Ends, on the server, what the earlier holders of this lock left there that the server would
     * not end by itself (see {@link #EARLIER}), and waits up to {@code wait} for it to go. {@code c}
     * must be in auto-commit mode: a transaction sees one snapshot of {@code pg_stat_activity}.
     *
     * @return how many backends were ended
     */
    static int endEarlier(Connection c, String lockId, long token, Duration wait) throws SQLException {
        int ended;
        try (PreparedStatement ps = c.prepareStatement("select count(*) filter (where pg_terminate_backend(pid))" + EARLIER)) {
            bind(ps, lockId, token);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                ended = rs.getInt(1);
            }
        }
        if (ended == 0) {
            return 0;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        try (PreparedStatement ps = c.prepareStatement("select count(*)" + EARLIER)) {
            bind(ps, lockId, token);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        break;
                    }
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("Interrupted while ending an earlier holder's connections", "57014", e);
                }
            }
        }
        return ended;
    }

    private static void bind(PreparedStatement ps, String lockId, long token) throws SQLException {
        ps.setString(1, "-" + MIGRATE + "-" + lockId + "-([0-9]+)$");
        ps.setLong(2, token);
        ps.setString(3, "-" + WORK + "-" + lockId + "-([0-9]+)$");
        ps.setLong(4, token);
    }
}
