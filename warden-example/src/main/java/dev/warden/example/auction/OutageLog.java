package dev.warden.example.auction;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's 503 answers: every one counted ({@code auction_unavailable_responses_total}, tagged with
 * its {@link Reason}), but logged as transitions only: one line when the API starts answering 503
 * (with the first request and its cause) and one when it serves again (with how many it answered
 * and for how long), and runs that start within 10 s of the last line are folded into the next one. An
 * outage with a busy client is two lines, not one per request; Warden's own
 * state transitions (READY → DEGRADED → READY) are logged by Warden.
 */
final class OutageLog {

    /** Why a request was answered 503. */
    enum Reason {
        /** Warden not started yet, initialising, or stopping. */
        NOT_READY,
        /** The database unreachable (Warden DEGRADED, or a connection failure after its retries). */
        DATABASE_UNAVAILABLE,
        /** Serialization failures or deadlocks past the retry budget, or a timeout. */
        BUSY,
        /** The connection failed during COMMIT: the change may or may not have been applied. */
        COMMIT_OUTCOME_UNKNOWN;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The meter's name (Prometheus: {@code auction_unavailable_responses_total}). */
    static final String METER = "auction.unavailable.responses";

    private static final Logger log = LoggerFactory.getLogger(OutageLog.class);

    private final Map<Reason, Counter> counters = new EnumMap<>(Reason.class);
    /** A run of 503s that starts within this time of the last logged one is counted with it, not logged. */
    static final long QUIET_NANOS = 10_000_000_000L;

    private volatile boolean open;
    private long openedAt; // guarded by this
    private long answered; // guarded by this: 503s since the last line
    private long lastLineAt = System.nanoTime() - QUIET_NANOS; // guarded by this
    private boolean logged; // guarded by this: the open run's first line was logged

    /** Counts in {@code registry} (the service's Prometheus registry), or in a private one when null. */
    OutageLog(MeterRegistry registry) {
        MeterRegistry r = registry == null ? new SimpleMeterRegistry() : registry;
        for (Reason reason : Reason.values()) {
            counters.put(reason, Counter.builder(METER).tag("reason", reason.tag())
                    .description("API requests answered 503 Service Unavailable, by reason").register(r));
        }
    }

    /** A request answered 503: counted; logged only when it is the first since the API last served. */
    void unavailable(Reason reason, String method, String path, String cause) {
        counters.get(reason).increment();
        synchronized (this) {
            answered++;
            if (open) {
                return;
            }
            open = true;
            long now = System.nanoTime();
            logged = now - lastLineAt >= QUIET_NANOS; // runs broken by single successes do not log a line each
            if (!logged) {
                return;
            }
            openedAt = now;
            lastLineAt = now;
        }
        String why = cause == null ? "no detail" : cause.strip().replaceAll("[.\\s]+$", "");
        String line = "API answering 503 Service Unavailable ({}), first {} {}: {}. Further 503 answers are counted"
                + " (" + METER.replace('.', '_') + "_total), not logged, until it serves again";
        if (reason == Reason.NOT_READY) {
            log.info(line, reason.tag(), method, path, why);
        } else {
            log.warn(line, reason.tag(), method, path, why);
        }
    }

    /** A request answered with {@code status}: below 500 after a run of 503s, the run ends with one line. */
    void answered(int status) {
        if (!open || status >= 500) {
            return;
        }
        long count;
        long ms;
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
            if (!logged) {
                return;
            }
            count = answered;
            answered = 0;
            lastLineAt = System.nanoTime();
            ms = (lastLineAt - openedAt) / 1_000_000;
        }
        log.info("API serving again after {} ms of 503 answers; {} answer(s) 503 since the previous line", ms, count);
    }

    /** 503 answers with this reason since start. */
    long count(Reason reason) {
        return (long) counters.get(reason).count();
    }
}
