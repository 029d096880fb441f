package dev.warden.internal.health;

import dev.warden.ProbeOutcome;
import dev.warden.ReadOnlyServerException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What {@link JdbcProbe} reads from its attempts: a failure's meaning (silence, a read-only server, a
 * server that refuses new connections, an answer), the outcome of a future waited for up to a
 * deadline, and the times and summaries it reports.
 */
final class ProbeReadings {

    private ProbeReadings() {
    }

    static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /**
     * The handshake's finding, waited for up to a timeout past the deadline (its own attempt ends
     * within its timeout once it runs), or null when it did not finish: no evidence either way.
     */
    static TcpEvidence.Finding handshake(CompletableFuture<TcpEvidence.Finding> f, long deadline,
                                                 Duration timeout) {
        try {
            return f.get(Math.max(0, deadline - System.nanoTime()) + timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException ignored) {
            // no evidence in time
        }
        return null;
    }

    static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), deadline - System.nanoTime()));
    }

    /** The server answered that it is read-only: READ_ONLY, else null. */
    static ProbeFinding readOnly(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ReadOnlyServerException r) {
                return new ProbeFinding(ProbeOutcome.READ_ONLY, r.getMessage());
            }
        }
        return null;
    }

    /** ANSWERED, or SLOW when the answer to the query sent at {@code start} came after half the timeout. */
    static ProbeFinding answered(long start, Duration timeout) {
        long took = System.nanoTime() - start;
        return took > timeout.toNanos() / 2
                ? new ProbeFinding(ProbeOutcome.SLOW, "answered after " + millis(took) + " ms")
                : ProbeFinding.ANSWERED;
    }

    /** 53300 (too many connections) or 57P03 (cannot connect now): the server is there and said no. */
    static boolean refusesNewConnections(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && ("53300".equals(sql.getSQLState()) || "57P03".equals(sql.getSQLState()))) {
                return true;
            }
        }
        return false;
    }

    static void await(CompletableFuture<?> f, long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return;
        }
        try {
            f.get(left, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException ignored) {
            // the caller looks at the future's state
        }
    }

    static Throwable failure(CompletableFuture<?> f) {
        try {
            f.join();
            return null;
        } catch (RuntimeException e) {
            Throwable t = e;
            while ((t instanceof java.util.concurrent.CompletionException || t instanceof IllegalStateException)
                    && t.getCause() != null) {
                t = t.getCause();
            }
            return t;
        }
    }

    /** True when the failure is the network timeout itself: silence, not an answer. */
    static boolean silent(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    static String summary(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
