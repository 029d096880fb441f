package dev.warden.internal.health;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import dev.warden.DatabaseUnavailableException;
import dev.warden.PoolTimeoutException;
import dev.warden.State;
import dev.warden.internal.PoolConnections;
import dev.warden.internal.lifecycle.StateMachine;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool as transactions see it: a {@link DataSource} that fails fast instead of making a caller
 * wait for a database that is known to be down, plus the actions the {@link HealthMonitor} takes on
 * the pool when the database goes away and comes back.
 *
 * <p>Guarantees of {@link #getConnection()}: in DEGRADED it waits for the database to come back
 * within the ride-through ({@link RideThrough}: {@code WARDEN_RIDE_THROUGH} from the start of the
 * unavailability, a bounded number of threads), then takes a connection; past it, it throws at once
 * without touching the pool. Otherwise it waits in HikariCP's queue, once, for the pool's acquire timeout: a busy pool is
 * HikariCP's timeout as configured (counted once in {@code hikaricp_connections_timeout_total},
 * thrown as a {@link PoolTimeoutException}), keeps the waiters in HikariCP's first-come, first-served
 * order, and triggers no probe. When the monitor declares the database unreachable, every waiting
 * thread leaves HikariCP's queue at once and waits in the ride-through instead; past it, it gets a
 * {@link SQLTransientConnectionException} (SQLState 08001) whose cause is a
 * {@link DatabaseUnavailableException}, which transactions do not retry. While the server is alive
 * but silent (STALLED, still READY), a caller whose acquire timeout passes keeps waiting for a
 * connection within the ride-through instead of getting a {@link PoolTimeoutException} (or the
 * pool's timeout caused by new connections failing meanwhile): its work is held, not refused.
 *
 * <p>After a recovery the pool does not refill all at once: each connection up to the minimum is
 * added at its own random moment within the refill spread, so that a fleet of replicas recovering
 * together does not open all its connections in the same instant.
 */
public final class GuardedPool implements DataSource, HealthMonitor.PoolActions, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GuardedPool.class);

    private final HikariDataSource pool;
    private final PoolConnections connections;
    private final StateMachine lifecycle;
    private final LongSupplier workDone;
    private final WaitingThreads waiting = new WaitingThreads();
    private final RideThrough rideThrough;
    private final PoolRefill refill;
    /** No work completed for this long while threads wait: stalled, not busy. */
    private static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    // Read and written on the monitor thread only (stalled()).
    private long stallWork = -1;
    private long stallSince;
    private boolean stallReported;

    /**
     * @param pool         the Hikari pool, started
     * @param connections  where the pool's physical connections come from (to abort them)
     * @param lifecycle    whose state decides whether to wait
     * @param refillSpread after a recovery, the time over which the pool returns to its minimum
     *                     (zero: at once)
     * @param workDone     a count that grows whenever work finishes on a pooled connection (commits
     *                     and rollbacks): a sign that busy connections answer
     * @param rideThrough  where new work waits while DEGRADED
     */
    public GuardedPool(HikariDataSource pool, PoolConnections connections, StateMachine lifecycle, Duration refillSpread,
                       LongSupplier workDone, RideThrough rideThrough) {
        this.rideThrough = Objects.requireNonNull(rideThrough, "rideThrough");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.connections = Objects.requireNonNull(connections, "connections");
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.refill = new PoolRefill(pool, Objects.requireNonNull(refillSpread, "refillSpread"));
        this.workDone = Objects.requireNonNull(workDone, "workDone");
    }

    /**
     * A pooled connection; a fast failure when the database is known to be down, or as soon as it is
     * declared so while waiting; a {@link PoolTimeoutException} when the pool stayed busy for the
     * whole acquire timeout.
     */
    @Override
    public Connection getConnection() throws SQLException {
        // Bounded: each round waits in the ride-through (bounded by its deadline) or in HikariCP's
        // queue; only a database that flaps between READY and DEGRADED needs more than two.
        for (int round = 0; ; round++) {
            if (lifecycle.state() == State.DEGRADED) {
                try {
                    rideThrough.await();
                } catch (DatabaseUnavailableException e) {
                    throw new SQLTransientConnectionException(e.getMessage(), "08001", e);
                }
            }
            HikariPool hikari = hikari();
            if (hikari == null) {
                return pool.getConnection();
            }
            WaitingThreads.Waiter waiter = waiting.enter();
            Connection c;
            try {
                long stalledLeft = rideThrough.leftWhileStalled();
                c = hikari.getConnection(stalledLeft > 0 && round > 0
                        ? Math.max(1, TimeUnit.NANOSECONDS.toMillis(stalledLeft)) : pool.getConnectionTimeout());
            } catch (SQLException e) {
                if (waiter.leave() || lifecycle.state() == State.DEGRADED) {
                    if (round < 5) {
                        continue; // released by the monitor: wait in the ride-through instead
                    }
                    throw unavailable(e);
                }
                if (e instanceof SQLTransientConnectionException timedOut) {
                    if (round < 5 && rideThrough.leftWhileStalled() > 0) {
                        // The server is alive but silent: keep holding the work within the ride-through,
                        // whether the pool was busy or its new connections failed meanwhile (a login
                        // timed out, no primary yet during a switchover): both end when the server answers.
                        continue;
                    }
                    if (timedOut.getCause() == null) {
                        throw new PoolTimeoutException(timedOut);
                    }
                }
                throw e;
            } catch (RuntimeException | Error e) {
                waiter.leave();
                throw e;
            }
            if (waiter.leave()) {
                // Released just as a connection came: the database has been declared unreachable.
                closeQuietly(c);
                if (round < 5) {
                    continue;
                }
                throw unavailable(null);
            }
            return c;
        }
    }

    /** Where new work waits while DEGRADED. */
    public RideThrough rideThrough() {
        return rideThrough;
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException ignored) {
            // going back to a pool that is being emptied; nothing more to do
        }
    }

    private HikariPool hikari() {
        HikariPoolMXBean mx = pool.getHikariPoolMXBean();
        return mx instanceof HikariPool hp && !pool.isClosed() ? hp : null;
    }

    private SQLException unavailable(Throwable cause) {
        boolean degraded = lifecycle.state() == State.DEGRADED;
        Instant since = degraded ? lifecycle.since() : Instant.now();
        DatabaseUnavailableException du = new DatabaseUnavailableException(since, degraded ? lifecycle.why() : null, cause);
        return new SQLTransientConnectionException(du.getMessage(), "08001", du);
    }

    /** Threads waiting for a connection in {@link #getConnection()} now. */
    public int waitingThreads() {
        return waiting.size();
    }

    /**
     * Aborts every pooled connection, those in use included (their threads get a connection error
     * at once instead of waiting for the socket timeout on a dead network), except those whose COMMIT
     * is on the wire: aborting one would make an unknown outcome of a commit the server may still
     * answer. When the server's host still answers TCP (a stall) they are left to finish; when the
     * network is gone they are held like new work, within the ride-through (a network that heals in
     * time delivers the answer by TCP retransmission, as it does for a plain pool), and aborted when
     * it runs out (at once without a ride-through). Lets the pool stop reconnecting until recovery,
     * and moves every thread waiting for a connection to the ride-through.
     */
    @Override
    public void degraded(boolean networkGone) {
        HikariPoolMXBean mx = pool.getHikariPoolMXBean();
        refill.cancel(mx != null && !pool.isClosed());
        long holdNanos = networkGone ? rideThrough.leftNanos() : Long.MAX_VALUE;
        int aborted = connections.abortAll(holdNanos == 0);
        if (networkGone && holdNanos > 0) {
            holdCommits(holdNanos);
        }
        if (mx != null && !pool.isClosed()) {
            // With a minimum of idle connections, Hikari keeps reconnecting with a backoff that grows to
            // seconds; the connection made at recovery would then wait for the end of that backoff.
            mx.softEvictConnections();
        }
        if (aborted > 0) {
            log.info("Aborted {} pool connection(s): the database is unreachable", aborted);
        }
        int released = waiting.releaseAll();
        if (released > 0) {
            log.info("Released {} thread(s) waiting for a connection: the database is unreachable", released);
        }
    }

    /** Aborts, once {@code nanos} have passed, the connections whose COMMIT is on the wire now if it still is. */
    private void holdCommits(long nanos) {
        List<Connection> held = connections.committing();
        if (held.isEmpty()) {
            return;
        }
        log.info("Kept {} connection(s) whose COMMIT is on the wire: the network may heal within the ride-through"
                + " ({} ms left), and its answer is then delivered", held.size(), TimeUnit.NANOSECONDS.toMillis(nanos));
        CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS).execute(() -> {
            int n = connections.abortStillCommitting(held);
            if (n > 0) {
                log.warn("Aborted {} connection(s) whose COMMIT got no answer within the ride-through: the outcome is"
                        + " unknown unless verifyCommit finds it out", n);
            }
        });
    }

    /**
     * Drops connections left from before the outage, then has the pool itself serve one connection
     * (a new one, answered by the server) before returning, so that READY, which follows, means the
     * pool can serve now: the first transaction after READY finds that connection idle instead of
     * waiting for HikariCP's connection adder (which may still sleep in the backoff of an earlier
     * failed attempt). Then refills the pool to its minimum step by step: each of the others at a
     * random moment within the refill spread. A pool that cannot serve within its acquire timeout
     * fails the recovery (the state stays DEGRADED and the monitor tries again).
     */
    @Override
    public void recover(Duration timeout) throws SQLException {
        HikariPool hikari = hikari();
        if (hikari == null) {
            throw new SQLException("the pool is closed", "08003");
        }
        refill.cancel(true);
        hikari.softEvictConnections();
        servedOne(hikari, timeout);
        refill.schedule(hikari);
    }

    /** Borrows one connection from the pool, checks that the server answers on it, and returns it. */
    private void servedOne(HikariPool hikari, Duration timeout) throws SQLException {
        try (Connection c = hikari.getConnection()) {
            int seconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toSeconds() + 1));
            if (!c.isValid(seconds)) {
                throw new SQLException("the pool's new connection did not answer", "08006");
            }
        }
    }

    /**
     * True when a connection the pool holds answers within {@code timeout}: an idle one is checked
     * with {@link Connection#isValid(int)}; when all are busy, work finishing on them within the
     * timeout shows that they answer. Never opens a new connection.
     */
    @Override
    public boolean existingConnectionsAnswer(Duration timeout) {
        HikariPool hikari = hikari();
        if (hikari == null || hikari.getTotalConnections() == 0) {
            return false;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        if (hikari.getIdleConnections() > 0) {
            try (Connection c = hikari.getConnection(Math.max(1, timeout.toMillis()))) {
                return c.isValid((int) Math.max(1, (timeout.toMillis() + 999) / 1000));
            } catch (SQLException e) {
                return false;
            }
        }
        long before = workDone.getAsLong();
        while (System.nanoTime() < deadline) {
            if (workDone.getAsLong() != before) {
                return true;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        return false;
    }

    /**
     * True once per episode in which threads wait for a connection and no work has completed for
     * 250 ms: a busy pool keeps completing work and is never "stalled".
     */
    @Override
    public boolean stalled() {
        long now = System.nanoTime();
        long work = workDone.getAsLong();
        if (work != stallWork) {
            stallWork = work;
            stallSince = now;
            stallReported = false;
            return false;
        }
        if (stallReported || waiting.size() == 0 || now - stallSince < STALL_NANOS) {
            return false;
        }
        stallReported = true;
        return true;
    }

    /** The count of work completed on pooled connections (commits), as given at construction. */
    @Override
    public long workDone() {
        return workDone.getAsLong();
    }

    /** Stops the refill scheduler. The Hikari pool is closed by its owner. */
    @Override
    public void close() {
        refill.close();
    }

    /** Removes a connection that must not be reused. */
    public void evict(Connection connection) {
        pool.evictConnection(connection);
    }

    /** Not supported: Warden's pool has one set of credentials. */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("Warden's pool uses the configured credentials");
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return pool.getLoginTimeout();
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return pool.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(this) ? iface.cast(this) : pool.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || pool.isWrapperFor(iface);
    }
}
