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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease in the {@code locks} table of Warden's schema: whoever holds an unexpired row holds the
 * lock; the holder renews it every {@code heartbeat}; a holder that dies (or stalls) stops renewing
 * and anyone may take the row over once it is {@code ttl} old. Every acquisition draws a new token
 * from the {@code fencing_tokens} sequence, and {@link Lease#verify(Connection)} locks the row and
 * checks token and expiry inside the guarded transaction, so a holder that was paused past its
 * expiry cannot commit the write its lease guarded. All times are the database's clock.
 */
public final class LeaseInitLock implements InitLock {

    private static final Logger log = LoggerFactory.getLogger(LeaseInitLock.class);

    private final ConnectionFactory connections;
    private final SpareConnection spare;
    private final String schema;
    private final String name;
    private final Duration ttl;
    private final Duration heartbeat;

    /**
     * @param connections opens the dedicated connection the lease is acquired and renewed on
     * @param schema      Warden's schema holding {@code locks} and {@code fencing_tokens} (see {@link InitSchema})
     * @param name        the lock's name; processes that use the same name exclude each other
     * @param ttl         how long a lease lives without renewal
     * @param heartbeat   how often the holder renews it
     */
    public LeaseInitLock(ConnectionFactory connections, String schema, String name, Duration ttl, Duration heartbeat) {
        this.connections = Objects.requireNonNull(connections, "connections");
        this.spare = new SpareConnection(connections);
        this.schema = Objects.requireNonNull(schema, "schema");
        this.name = Objects.requireNonNull(name, "name");
        if (ttl.isNegative() || ttl.isZero() || heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("ttl and heartbeat must be positive, got " + ttl + " and " + heartbeat);
        }
        this.ttl = ttl;
        this.heartbeat = heartbeat;
    }

    @Override
    public Optional<Lease> tryAcquire(String owner) throws SQLException {
        Connection c = spare.take();
        try {
            // Takes the row when it is absent or expired; leaves a live holder's row alone.
            try (PreparedStatement ps = c.prepareStatement("insert into " + schema + ".locks as l"
                    + " (name, owner, token, acquired_at, expires_at)"
                    + " values (?, ?, nextval('" + schema + ".fencing_tokens'), clock_timestamp(),"
                    + " clock_timestamp() + make_interval(secs => ?))"
                    + " on conflict (name) do update set owner = excluded.owner, token = excluded.token,"
                    + " acquired_at = excluded.acquired_at, expires_at = excluded.expires_at"
                    + " where l.expires_at < clock_timestamp()"
                    + " returning token")) {
                ps.setString(1, name);
                ps.setString(2, owner);
                ps.setDouble(3, ttl.toMillis() / 1000.0);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        spare.keep(c);
                        return Optional.empty();
                    }
                    return Optional.of(new LeaseImpl(c, rs.getLong(1), owner));
                }
            }
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already failing
            }
            throw e;
        }
    }

    @Override
    public String describe() {
        return "lease '" + name + "' in " + schema + ".locks (ttl " + ttl.toMillis() + " ms, heartbeat "
                + heartbeat.toMillis() + " ms)";
    }

    @Override
    public void close() {
        spare.close();
    }

    final class LeaseImpl implements Lease {
        private final long token;
        private final String owner;
        private final ScheduledExecutorService beats;
        private Connection session; // guarded by this
        private volatile boolean held = true;
        private volatile long renewedAt = System.nanoTime();
        private final java.util.List<Runnable> lostActions = new java.util.concurrent.CopyOnWriteArrayList<>();

        LeaseImpl(Connection session, long token, String owner) {
            this.session = session;
            this.token = token;
            this.owner = owner;
            this.beats = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "warden-lease-heartbeat");
                t.setDaemon(true);
                return t;
            });
            beats.scheduleWithFixedDelay(this::renew, heartbeat.toMillis(), heartbeat.toMillis(), TimeUnit.MILLISECONDS);
        }

        private synchronized void renew() {
            if (!held) {
                return;
            }
            try {
                if (session == null || session.isClosed()) {
                    session = connections.open();
                    session.setAutoCommit(true);
                }
                try (PreparedStatement ps = session.prepareStatement("update " + schema + ".locks"
                        + " set expires_at = clock_timestamp() + make_interval(secs => ?)"
                        + " where name = ? and token = ? and expires_at > clock_timestamp()")) {
                    ps.setDouble(1, ttl.toMillis() / 1000.0);
                    ps.setString(2, name);
                    ps.setLong(3, token);
                    if (ps.executeUpdate() == 0) {
                        // Expired or taken over (e.g. this process was paused): the fencing token
                        // stops any write it still attempts, so its work is left to fail there.
                        held = false;
                        log.warn("Lost the {} (token {}): it expired or was taken over before this heartbeat.",
                                describe(), token);
                    } else {
                        renewedAt = System.nanoTime();
                    }
                }
            } catch (SQLException e) {
                // Keep trying until the lease expires; verify() decides in the end.
                log.warn("Could not renew the {} (token {}): {}", describe(), token, e.getMessage());
                closeSession();
                if (System.nanoTime() - renewedAt > ttl.toNanos()) {
                    // Unreachable for a whole TTL: the lease is gone, and so (most likely) is the
                    // network under the holder's work, which must not wait for its socket timeout.
                    held = false;
                    log.warn("Lost the {} (token {}): not renewed for {} ms.", describe(), token, ttl.toMillis());
                    lostActions.forEach(Runnable::run);
                }
            }
        }

        @Override
        public void onLost(Runnable action) {
            lostActions.add(Objects.requireNonNull(action, "action"));
        }

        /** Stops renewing without releasing, as a crashed holder does (for tests and drills). */
        synchronized void abandon() {
            beats.shutdownNow();
            closeSession();
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
            try (PreparedStatement ps = tx.prepareStatement("select 1 from " + schema + ".locks"
                    + " where name = ? and token = ? and expires_at > clock_timestamp() for update")) {
                ps.setString(1, name);
                ps.setLong(2, token);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        held = false;
                        throw new LeaseLostException("The " + describe() + " of " + owner + " (token " + token
                                + ") expired or was taken over by a newer holder.");
                    }
                }
            }
        }

        @Override
        public boolean held() {
            return held;
        }

        @Override
        public synchronized void close() {
            beats.shutdownNow();
            if (held) {
                held = false;
                try {
                    if (session == null || session.isClosed()) {
                        session = connections.open();
                        session.setAutoCommit(true);
                    }
                    try (PreparedStatement ps = session.prepareStatement("update " + schema + ".locks"
                            + " set expires_at = clock_timestamp(), owner = null where name = ? and token = ?")) {
                        ps.setString(1, name);
                        ps.setLong(2, token);
                        ps.executeUpdate();
                    }
                } catch (SQLException e) {
                    log.debug("Could not release the {} (it expires by itself): {}", describe(), e.getMessage());
                }
            }
            closeSession();
        }

        private void closeSession() {
            if (session != null) {
                try {
                    session.close();
                } catch (SQLException ignored) {
                    // unusable either way
                }
                session = null;
            }
        }
    }
}
