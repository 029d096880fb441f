package dev.warden.drill.outage;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.warden.HealthReport;
import dev.warden.drill.DrillFigures;
import dev.warden.drill.Figures;
import java.util.List;

/**
 * The figures of {@code warden drill outage}, printed as one flat JSON object: the run, the writes
 * and what became of them, the failed requests, how soon Warden saw the outage and the recovery,
 * and its monitor's counters. Passed when no acknowledged write is lost.
 */
record OutageFigures(@JsonUnwrapped Run run, @JsonUnwrapped Writes writes, @JsonUnwrapped Failures failures,
                     @JsonUnwrapped Timings timings, @JsonUnwrapped Monitor monitor) implements DrillFigures {

    /** The options the drill ran with. */
    record Run(int restarts, int seconds, int writers, long downMs) {
    }

    /** Acknowledged writes, those missing afterwards, and the COMMITs whose outcome was unknown. */
    record Writes(int acknowledgedWrites, long lostWrites, int commitUnknown, long commitUnknownApplied) {
    }

    /** Requests that failed, and how fast (ms, one decimal). */
    record Failures(long failedRequests, long failedUnavailable, double failFastMsP50, double failFastMsP99,
                    double failFastMsMax) {

        /** From the failures' durations in nanoseconds, sorted. */
        static Failures of(long failed, long unavailable, List<Long> sortedNanos) {
            return new Failures(failed, unavailable, Figures.millis(Figures.percentile(sortedNanos, 0.50)),
                    Figures.millis(Figures.percentile(sortedNanos, 0.99)),
                    Figures.millis(sortedNanos.isEmpty() ? 0 : sortedNanos.getLast()));
        }
    }

    /** Database down → DEGRADED and database accepting → READY, in ms. */
    record Timings(long detectMsP50, long detectMsMax, long recoverMsP50, long recoverMsMax) {

        /** From the per-restart times, sorted. */
        static Timings of(List<Long> sortedDetectMs, List<Long> sortedRecoverMs) {
            return new Timings(Figures.percentile(sortedDetectMs, 0.50),
                    sortedDetectMs.isEmpty() ? 0 : sortedDetectMs.getLast(),
                    Figures.percentile(sortedRecoverMs, 0.50), sortedRecoverMs.isEmpty() ? 0 : sortedRecoverMs.getLast());
        }
    }

    /** The health monitor's own counters at the end. */
    record Monitor(long outages, long recoveries, long failedRecoveries, long monitorIntervalMs) {

        static Monitor of(HealthReport.Monitor m) {
            return new Monitor(m.outages().count(), m.outages().recoveries(), m.outages().failedRecoveries(),
                    m.settings().intervalMs());
        }
    }

    @Override
    public boolean passed() {
        return writes.lostWrites() == 0;
    }

    @Override
    public String summary() {
        return String.join("\n",
                "Outage drill: %d restart(s) in %d s, %d writer(s), database down %d ms each time".formatted(
                        run.restarts(), run.seconds(), run.writers(), run.downMs()),
                "  acknowledged writes %d, lost %d, commit outcome unknown %d (%d of them applied)".formatted(
                        writes.acknowledgedWrites(), writes.lostWrites(), writes.commitUnknown(),
                        writes.commitUnknownApplied()),
                "  failed requests %d (%d refused as unavailable); fail-fast p50 %.1f ms, p99 %.1f ms, max %.1f ms".formatted(
                        failures.failedRequests(), failures.failedUnavailable(), failures.failFastMsP50(),
                        failures.failFastMsP99(), failures.failFastMsMax()),
                "  detect (DB down -> DEGRADED) p50 %s ms, max %s ms; recover (DB accepting -> READY) p50 %s ms, max %s ms"
                        .formatted(timings.detectMsP50(), timings.detectMsMax(), timings.recoverMsP50(),
                                timings.recoverMsMax()),
                passed() ? "  OK: every acknowledged write is in the database."
                        : "  FAILED: " + writes.lostWrites() + " acknowledged write(s) are missing.");
    }
}
