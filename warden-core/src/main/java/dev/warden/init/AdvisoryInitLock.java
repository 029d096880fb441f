package dev.warden.init;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL session advisory lock held on a dedicated connection (not a pooled one, so it can
 * never leak into another transaction). When the holder dies, its session ends and the server
 * releases the lock at once: no lease to wait out, nothing a wipe can delete. The fencing token
 * comes from the {@code fencing_tokens} sequence; {@link Lease#verify(Connection)} checks in
 * {@code pg_locks} that the holder's session still holds the lock.
 */
public final class AdvisoryInitLock implements InitLock {

    private static final Logger log = LoggerFactory.getLogger(AdvisoryInitLock.class);

    private final SpareConnection spare;
    private final String schema;
    private final int key;

    /**
     * @param connections opens the dedicated connection the lock lives on
     * @param schema      Warden's schema (for the token sequence; it must exist, see {@link InitSchema})
     * @param name        the lock's name; processes that use the same name exclude each other
     */
    public AdvisoryInitLock(ConnectionFactory connections, String schema, String name) {
        this.spare = new SpareConnection(Objects.requireNonNull(connections, "connections"));
        this.schema = Objects.requireNonNull(schema, "schema");
        this.key = InitSchema.lockKey(schema, Objects.requireNonNull(name, "name"));
    }

    @Override
    public Optional<Lease> tryAcquire(String owner) throws SQLException {
        Connection c = spare.take();
        try {
            boolean got;
            try (PreparedStatement ps = c.prepareStatement("select pg_try_advisory_lock(?, ?), pg_backend_pid()")) {
                ps.setInt(1, InitSchema.LOCK_SPACE);
                ps.setInt(2, key);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    got = rs.getBoolean(1);
                    if (!got) {
                        spare.keep(c);
                        return Optional.empty();
                    }
                    int pid = rs.getInt(2);
                    long token;
                    try (PreparedStatement t = c.prepareStatement("select nextval('" + schema + ".fencing_tokens')");
                         ResultSet trs = t.executeQuery()) {
                        trs.next();
                        token = trs.getLong(1);
                    }
                    return Optional.of(new AdvisoryLease(c, pid, token, owner));
                }
            }
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    @Override
    public String describe() {
        return "advisory lock (" + InitSchema.LOCK_SPACE + ", " + key + ")";
    }

    @Override
    public void close() {
        spare.close();
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // the connection is unusable either way
        }
    }

    private final class AdvisoryLease implements Lease {
        private final Connection session;
        private final int pid;
        private final long token;
        private final String owner;
        private volatile boolean held = true;

        AdvisoryLease(Connection session, int pid, long token, String owner) {
            this.session = session;
            this.pid = pid;
            this.token = token;
            this.owner = owner;
        }

        @Override
        public long token() {
            return token;
        }

        @Override
        public String owner() {
            return owner;
        }

        @Override
        public void verify(Connection tx) throws SQLException {
            // The session that took the lock must still hold it. A dead session releases it, and a
            // backend pid is not reused while the row is checked, so this cannot see a stranger's lock.
            try (PreparedStatement ps = tx.prepareStatement("select 1 from pg_locks where locktype = 'advisory'"
                    + " and classid = ?::int8::oid and objid = ?::int8::oid and objsubid = 2 and pid = ? and granted")) {
                ps.setLong(1, InitSchema.LOCK_SPACE);
                ps.setLong(2, key);
                ps.setInt(3, pid);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        held = false;
                        throw new LeaseLostException("The " + describe() + " of " + owner + " (token " + token
                                + ") is no longer held: its session (pid " + pid + ") ended.");
                    }
                }
            }
        }

        @Override
        public boolean held() {
            return held;
        }

        @Override
        public void close() {
            held = false;
            try (PreparedStatement ps = session.prepareStatement("select pg_advisory_unlock(?, ?)")) {
                ps.setInt(1, InitSchema.LOCK_SPACE);
                ps.setInt(2, key);
                ps.execute();
            } catch (SQLException e) {
                log.debug("Could not unlock {} (the session is gone, which releases it): {}", describe(), e.getMessage());
            } finally {
                closeQuietly(session);
            }
        }
    }
}
