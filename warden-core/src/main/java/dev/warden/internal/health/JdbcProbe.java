package dev.warden.internal.health;

import static dev.warden.internal.health.ProbeReadings.*;

import dev.warden.ProbeOutcome;
import dev.warden.ReadOnlyServerException;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes the database on one dedicated connection opened through the JDBC driver, outside the
 * pool: a probe still runs when the pool is exhausted by the application or full of dead
 * connections.
 *
 * <p>One probe lasts at most its timeout and tells silence from slowness: it sends
 * {@link #PROBE_QUERY} on its connection under a network timeout; when no answer has come after a
 * quarter of the timeout (or the connection failed), it opens a new connection <em>in
 * parallel</em>, not after the first attempt has timed out, together with a bare TCP handshake with
 * the server's address ({@link TcpEvidence}). A connection counts as answered only when a query was
 * answered on it, never on a login alone (a pooler completes logins itself). The query answered on
 * the new connection while the old one stays silent, or an answer after half the timeout, is
 * {@link ProbeOutcome#SLOW} (the new connection becomes the probe's). No query answered on either
 * path within the timeout is {@link ProbeOutcome#STALLED} when the handshake completed (the host is
 * alive) and {@link ProbeOutcome#SILENT} when even the SYN went unanswered (network or host gone); a
 * new connection refused with 53300 or 57P03 is {@link ProbeOutcome#REFUSING_CONNECTIONS}; any other
 * error answer, a TCP reset included, is {@link ProbeOutcome#REFUSED}.
 * A healthy database costs one round trip per probe and no new connection: the probe keeps its
 * connection while it works, so it adds no connection to a busy server.
 */
public final class JdbcProbe implements HealthMonitor.Probe, AutoCloseable {

    /** The probe's round trip. */
    static final String PROBE_QUERY = "select 1";

    /** One round trip: is the server a standby, and are its transactions read-only? */
    static final String WRITABLE_CHECK = "select pg_is_in_recovery(), current_setting('transaction_read_only')";

    private final String url;
    private final Properties properties;
    private final boolean requireWritable;
    private final TcpEvidence tcp;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "warden-probe");
        t.setDaemon(true);
        return t;
    });
    private Connection connection;
    /** A connection attempt a probe gave up waiting for; the next probe may still use it. */
    private CompletableFuture<Connection> pending;
    private volatile boolean closed;
    private final ProbeCommitCheck commitCheck;
    private static final Logger log = LoggerFactory.getLogger(JdbcProbe.class);

    /**
     * @param url        the JDBC URL (the same database as the pool)
     * @param properties driver properties, credentials included (see {@code ConnectionSettings.probe})
     */
    public JdbcProbe(String url, Properties properties) {
        this(url, properties, false);
    }

    /**
     * @param url             the JDBC URL (the same database as the pool)
     * @param properties      driver properties, credentials included (see {@code ConnectionSettings.probe})
     * @param requireWritable true for a pool that writes: the probe's one statement also asks whether
     *                        the server takes writes, and a read-only one is {@link ProbeOutcome#READ_ONLY}
     */
    public JdbcProbe(String url, Properties properties, boolean requireWritable) {
        this.requireWritable = requireWritable;
        this.url = url;
        this.tcp = TcpEvidence.of(url);
        this.properties = new Properties();
        this.properties.putAll(properties);
        this.commitCheck = new ProbeCommitCheck(url, this.properties, executor);
    }

    @Override
    public synchronized ProbeFinding probe(Duration timeout) {
        if (closed) {
            return new ProbeFinding(ProbeOutcome.REFUSED, "the probe is closed");
        }
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long firstDeadline = deadline;
        String answer = null; // the last error answer seen, if any
        String refusing = null; // a new connection refused with 53300/57P03, if any
        boolean silent = false; // the probe connection's query got no answer in time
        CompletableFuture<Connection> fresh = null;
        // The TCP handshake, read only when the probe hears nothing: started with the new connection.
        AtomicReference<CompletableFuture<TcpEvidence.Finding>> handshake = new AtomicReference<>();
        if (connection != null) {
            // The query runs on this thread (a healthy database costs no hand-off); a new connection
            // is started in parallel if it has not answered after a quarter of the timeout.
            AtomicReference<CompletableFuture<Connection>> early = new AtomicReference<>();
            AtomicBoolean over = new AtomicBoolean();
            CompletableFuture.runAsync(() -> {
                if (!over.get()) {
                    startHandshake(handshake, firstDeadline, timeout);
                    CompletableFuture<Connection> f = newAttempt();
                    if (!early.compareAndSet(null, f)) {
                        f.thenAccept(JdbcProbe::closeQuietly); // the query answered meanwhile
                    }
                }
            }, CompletableFuture.delayedExecutor(timeout.toNanos() / 4, TimeUnit.NANOSECONDS, executor));
            Throwable failure = roundTripHere(connection, deadline);
            ProbeFinding readOnly = readOnly(failure);
            if (readOnly != null) {
                // Closed, so that the next probe connects anew (behind a multi-host URL with
                // targetServerType=primary, to the new primary).
                drop();
                return readOnly;
            }
            over.set(true);
            CompletableFuture<Connection> started = early.getAndSet(CompletableFuture.failedFuture(
                    new IllegalStateException("probe over")));
            if (failure == null) {
                if (started != null) {
                    started.thenAccept(JdbcProbe::closeQuietly); // not needed after all
                }
                return answered(start, timeout);
            }
            silent = silent(failure);
            answer = silent ? null : summary(failure);
            drop();
            fresh = started;
        }
        // Without a connection of its own the probe shakes hands only once a quarter of the timeout
        // passed unanswered: a healthy database sees no empty connection.
        long handshakeAt = start + timeout.toNanos() / 4;
        if (fresh == null) {
            fresh = attempt();
        } else {
            replacePending(fresh);
        }
        CompletableFuture<Void> query = null;
        long queryStart = start;
        boolean connected = false; // the server answered a new connection during this probe
        while (true) {
            if (query != null && query.isDone()) {
                Throwable failure = failure(query);
                ProbeFinding readOnly = readOnly(failure);
                if (readOnly != null) {
                    drop();
                    return readOnly;
                }
                if (failure == null) {
                    return silent ? new ProbeFinding(ProbeOutcome.SLOW, "the probe connection got no answer for "
                            + millis(System.nanoTime() - start) + " ms, but a new connection answered "
                            + PROBE_QUERY) : answered(queryStart, timeout);
                }
                answer = silent(failure) ? answer : summary(failure);
                drop();
                query = null;
            }
            if (fresh != null && fresh.isDone()) {
                Throwable failure = failure(fresh);
                pending = null;
                if (failure == null) {
                    Connection c = fresh.join();
                    fresh = null;
                    connected = true;
                    connection = c;
                    // A login is not an answer (a pooler completes it itself): only the query counts.
                    queryStart = System.nanoTime(); // a new connection's set-up is not the database being slow
                    // A login that came late still gets half a timeout for its query (the probe stays
                    // within 1.5 timeouts): a slow login is not a silent server.
                    deadline = Math.max(deadline, queryStart + timeout.toNanos() / 2);
                    query = roundTrip(c, deadline);
                    continue;
                }
                answer = silent(failure) ? answer : summary(failure);
                if (refusesNewConnections(failure)) {
                    refusing = summary(failure);
                }
                fresh = null;
            }
            if ((query == null && fresh == null) || System.nanoTime() - deadline >= 0
                    || Thread.currentThread().isInterrupted()) {
                break; // nothing left to wait for, out of time, or the monitor is stopping
            }
            if (handshake.get() == null && System.nanoTime() - handshakeAt >= 0) {
                startHandshake(handshake, deadline, timeout);
            }
            await(query != null ? query : fresh, handshake.get() == null ? handshakeAt : deadline);
        }

        if (query != null) {
            drop();
        }
        if (refusing != null) {
            return new ProbeFinding(ProbeOutcome.REFUSING_CONNECTIONS, refusing);
        }
        if (answer != null) {
            return new ProbeFinding(ProbeOutcome.REFUSED, answer);
        }
        String heard = "no query answered within " + timeout.toMillis() + " ms, neither on the probe connection nor on a new one"
                + (connected ? " (whose login succeeded: a login is not an answer)" : "");
        long handshakeDeadline = deadline;
        if (handshake.get() == null) { // everything fell silent before a quarter of the timeout
            handshakeDeadline = Math.max(deadline, System.nanoTime() + timeout.toNanos() / 4);
            startHandshake(handshake, handshakeDeadline, timeout);
        }
        TcpEvidence.Finding tcpFinding = handshake(handshake.get(), handshakeDeadline, timeout);
        if (tcpFinding == null) {
            // The handshake has not even finished its own attempt: this process is starved, not the
            // network proven gone. Assume the host alive; the stall bound ends a longer silence.
            return new ProbeFinding(ProbeOutcome.STALLED, heard + "; no TCP evidence in time (this process is"
                    + " starved?): assumed alive");
        }
        return switch (tcpFinding.handshake()) {
            case COMPLETED -> new ProbeFinding(ProbeOutcome.STALLED, heard + "; " + tcpFinding.address()
                    + " completed a TCP handshake: the host is alive, PostgreSQL (or whatever is in front of it) is silent");
            case REFUSED -> new ProbeFinding(ProbeOutcome.REFUSED, heard + "; " + tcpFinding.address()
                    + " refused a TCP connection");
            case UNANSWERED -> new ProbeFinding(ProbeOutcome.SILENT, heard + "; a TCP handshake with "
                    + tcpFinding.address() + " got no answer either: the network or host is gone");
        };
    }

    /**
     * Starts the handshake, given what is left of the probe but at least half its timeout: a SYN
     * judged unanswered after a few milliseconds on a busy machine would prove nothing.
     */
    private void startHandshake(AtomicReference<CompletableFuture<TcpEvidence.Finding>> handshake, long deadline,
                                Duration timeout) {
        handshake.updateAndGet(h -> h != null ? h : tcp.check(max(remaining(deadline), timeout.dividedBy(2)), executor));
    }

    /**
     * For a writing pool, on a connection of its own: whether a COMMIT fails to come back within
     * {@code timeout} (see {@link ProbeCommitCheck}); null when there is nothing to check with. Call
     * it from one thread that is not the probe's.
     */
    @Override
    public Boolean commitBlocked(Duration timeout) {
        return requireWritable && !closed ? commitCheck.commitBlocked(timeout) : null;
    }

    /** The probe's statement: {@code select 1}, or for a writing pool the writable check. */
    private void ask(Statement st) throws SQLException {
        if (!requireWritable) {
            st.execute(PROBE_QUERY);
            return;
        }
        try (ResultSet rs = st.executeQuery(WRITABLE_CHECK)) {
            rs.next();
            if (rs.getBoolean(1)) {
                throw new ReadOnlyServerException("in recovery: a standby");
            }
            if ("on".equals(rs.getString(2))) {
                throw new ReadOnlyServerException("transaction_read_only is on");
            }
        }
    }

    /** The probe query on {@code c} on this thread, under a network timeout up to {@code deadline}; its failure or null. */
    private Throwable roundTripHere(Connection c, long deadline) {
        try {
            c.setNetworkTimeout(Runnable::run, (int) Math.max(1, millis(deadline - System.nanoTime())));
            try (Statement st = c.createStatement()) {
                ask(st);
            }
            return null;
        } catch (SQLException | RuntimeException e) {
            return e;
        }
    }

    /** The probe query on {@code c}, on a probe thread, bounded by a network timeout up to {@code deadline}. */
    private CompletableFuture<Void> roundTrip(Connection c, long deadline) {
        return CompletableFuture.runAsync(() -> {
            try {
                c.setNetworkTimeout(Runnable::run, (int) Math.max(1, millis(deadline - System.nanoTime())));
                try (Statement st = c.createStatement()) {
                    ask(st);
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, executor);
    }

    /**
     * A new connection attempt, or the one an earlier probe gave up waiting for if it has since
     * succeeded. One still pending is not waited for again: its connection may be one that will
     * never answer (a dead host), and a new attempt gets through as soon as the network does.
     */
    private CompletableFuture<Connection> attempt() {
        CompletableFuture<Connection> p = pending;
        if (p != null && p.isDone() && !p.isCompletedExceptionally()) {
            return p;
        }
        CompletableFuture<Connection> f = newAttempt();
        replacePending(f);
        return f;
    }

    /** Makes {@code f} the attempt a later probe may use; an older one is closed if it ever succeeds. */
    private void replacePending(CompletableFuture<Connection> f) {
        CompletableFuture<Connection> p = pending;
        if (p != null && p != f) {
            p.thenAccept(JdbcProbe::closeQuietly);
        }
        pending = f;
    }

    /** A new connection attempt on a probe thread; closed at once if the probe has been closed meanwhile. */
    private CompletableFuture<Connection> newAttempt() {
        CompletableFuture<Connection> f = CompletableFuture.supplyAsync(() -> {
            try {
                Driver driver = DriverManager.getDriver(url);
                Connection c = driver.connect(url, properties);
                if (c == null) {
                    throw new SQLException("no JDBC driver accepts " + url, "08001");
                }
                return c;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, executor);
        f.thenAccept(c -> {
            if (closed) { // no lock: the probe may be waiting for this very future
                closeQuietly(c);
            }
        });
        return f;
    }

    /** Aborts the probe connection: a query still waiting on it ends at once. */
    private void drop() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                closeQuietly(c);
            }
        }
    }

    static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException ignored) {
            // the connection is already broken; nothing more to release
        }
    }

    /** Closes the probe connection and its threads; later probes fail. */
    @Override
    public synchronized void close() {
        closed = true;
        drop();
        commitCheck.close();
        CompletableFuture<Connection> p = pending;
        if (p != null) {
            p.thenAccept(JdbcProbe::closeQuietly);
        }
        executor.shutdownNow();
    }
}
