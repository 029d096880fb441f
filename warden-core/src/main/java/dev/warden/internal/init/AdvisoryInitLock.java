package dev.warden.internal.init;

import dev.warden.LeaseLostException;
import dev.warden.spi.ConnectionFactory;
import dev.warden.spi.InitLock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL session advisory lock held on a dedicated connection (not a pooled one, so it can
 * never leak into another transaction). When the holder's session ends, the server releases the
 * lock at once: no lease to wait out, nothing a wipe can delete.
 * <p>
 * A holder whose host dies or is cut off leaves a session the server believes alive. So the
 * holder's session asks the server to end it after {@code sessionTimeout} without a word
 * ({@code idle_session_timeout}, which any role may set) and sends a heartbeat every quarter of
 * that: a dead or cut-off holder loses the lock within {@code sessionTimeout}. The heartbeat also
 * checks that the session still holds the lock; once it fails, {@link Lease#held()} is false and
 * the {@link Lease#onLost(Runnable)} actions run.
 * <p>
 * The fencing token comes from the {@code fencing_tokens} sequence; {@link Lease#verify(Connection)}
 * checks in {@code pg_locks} that the holder's session still holds the lock.
 */
public final class AdvisoryInitLock implements InitLock {

    private static final Logger log = LoggerFactory.getLogger(AdvisoryInitLock.class);
    private static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);

    private final SpareConnection spare;
    private final String schema;
    private final int key;
    private final Duration sessionTimeout;

    /**
     * A lock whose holder's session is ended by the server after 10 s without a heartbeat.
     *
     * @param connections opens the dedicated connection the lock lives on
     * @param schema      Warden's schema (for the token sequence; it must exist, see {@link InitSchema})
     * @param name        the lock's name; processes that use the same name exclude each other
     */
    public AdvisoryInitLock(ConnectionFactory connections, String schema, String name) {
        this(connections, schema, name, DEFAULT_SESSION_TIMEOUT);
    }

    /**
     * @param connections    opens the dedicated connection the lock lives on
     * @param schema         Warden's schema (for the token sequence; it must exist, see {@link InitSchema})
     * @param name           the lock's name; processes that use the same name exclude each other
     * @param sessionTimeout how long the server keeps the holder's session without a heartbeat (at least 1 s)
     */
    public AdvisoryInitLock(ConnectionFactory connections, String schema, String name, Duration sessionTimeout) {
        this.spare = new SpareConnection(Objects.requireNonNull(connections, "connections"));
        this.schema = Objects.requireNonNull(schema, "schema");
        this.key = InitSchema.lockKey(schema, Objects.requireNonNull(name, "name"));
        if (sessionTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("sessionTimeout must be at least 1s, got " + sessionTimeout);
        }
        this.sessionTimeout = sessionTimeout;
    }

    @Override
    public Optional<Lease> tryAcquire(String owner) throws SQLException {
        Connection c = spare.take();
        try {
            try (PreparedStatement ps = c.prepareStatement("select pg_try_advisory_lock(?, ?), pg_backend_pid()")) {
                ps.setInt(1, InitSchema.LOCK_SPACE);
                ps.setInt(2, key);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        spare.keep(c);
                        return Optional.empty();
                    }
                    int pid = rs.getInt(2);
                    long token;
                    // One round trip: the token, and the server's promise to end this session (and so
                    // free the lock) once it has heard nothing from the holder for sessionTimeout.
                    try (PreparedStatement t = c.prepareStatement("select nextval('" + schema + ".fencing_tokens'),"
                            + " set_config('idle_session_timeout', ?, false)")) {
                        t.setString(1, String.valueOf(sessionTimeout.toMillis()));
                        try (ResultSet trs = t.executeQuery()) {
                            trs.next();
                            token = trs.getLong(1);
                        }
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

    private static void abortQuietly(Connection c) {
        try {
            c.abort(Runnable::run);
        } catch (SQLException | RuntimeException ignored) {
            // the connection is unusable either way
        }
    }

    private final class AdvisoryLease implements Lease {
        private final Connection session;
        private final int pid;
        private final long token;
        private final String owner;
        private final ReentrantLock using = new ReentrantLock(); // the session: heartbeat or release
        private final ScheduledExecutorService beats;
        private final java.util.List<Runnable> lostActions = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile boolean held = true;
        private volatile boolean closed;

        AdvisoryLease(Connection session, int pid, long token, String owner) throws SQLException {
            this.session = session;
            this.pid = pid;
            this.token = token;
            this.owner = owner;
            // A heartbeat waits at most half the session timeout for its answer: a silent network is
            // noticed by the holder before the server frees the lock for the next one.
            session.setNetworkTimeout(Runnable::run, (int) Math.max(500, sessionTimeout.toMillis() / 2));
            this.beats = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "warden-init-lock-heartbeat");
                t.setDaemon(true);
                return t;
            });
            long every = Math.max(100, sessionTimeout.toMillis() / 4);
            beats.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
        }

        /** Proves the session alive to the server, and to this process that it still holds the lock. */
        private void heartbeat() {
            if (!held || !using.tryLock()) {
                return;
            }
            try {
                if (!held) {
                    return;
                }
                try (PreparedStatement ps = session.prepareStatement("select 1 from pg_locks where locktype = 'advisory'"
                        + " and pid = pg_backend_pid() and classid = ?::int8::oid and objid = ?::int8::oid"
                        + " and objsubid = 2 and granted")) {
                    ps.setLong(1, InitSchema.LOCK_SPACE);
                    ps.setLong(2, key);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            lost("the session no longer holds it");
                        }
                    }
                }
            } catch (SQLException | RuntimeException e) {
                lost("its session failed: " + e.getMessage());
            } finally {
                using.unlock();
            }
        }

        private void lost(String why) {
            if (!held) {
                return;
            }
            held = false;
            if (!closed) {
                log.warn("Lost the {} of {} (token {}): {}", describe(), owner, token, why);
            }
            beats.shutdown();
            abortQuietly(session);
            lostActions.forEach(a -> {
                try {
                    a.run();
                } catch (RuntimeException e) {
                    log.warn("An action on losing the {} failed: {}", describe(), e.toString());
                }
            });
        }

        @Override
        public void onLost(Runnable action) {
            lostActions.add(Objects.requireNonNull(action, "action"));
            if (!held && !closed) {
                action.run();
            }
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
            closed = true;
            boolean wasHeld = held;
            held = false;
            beats.shutdownNow();
            if (!wasHeld || !using.tryLock()) {
                // Lost already, or a heartbeat is waiting on the network: cut the session, which
                // releases the lock on the server as soon as it notices.
                abortQuietly(session);
                return;
            }
            try (PreparedStatement ps = session.prepareStatement("select pg_advisory_unlock(?, ?)")) {
                ps.setInt(1, InitSchema.LOCK_SPACE);
                ps.setInt(2, key);
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    // false: this session did not hold the lock any more (a pooler gave the session
                    // to another server connection, or the server ended it): it was lost, not released.
                    if (rs.next() && !rs.getBoolean(1)) {
                        log.warn("The {} was lost before its release: pg_advisory_unlock answered false on the"
                                + " holder's session (a pooler in front of the server, or the session was ended)",
                                describe());
                    }
                }
            } catch (SQLException e) {
                log.debug("Could not unlock {} (the session is gone, which releases it): {}", describe(), e.getMessage());
            } finally {
                using.unlock();
                closeQuietly(session);
            }
        }
    }
}
