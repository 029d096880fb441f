package dev.warden.drill.overload;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.warden.drill.DrillFigures;
import dev.warden.drill.JsonOutput;
import java.util.ArrayList;
import java.util.List;

/**
 * The figures of {@code warden drill overload}, one record per phase, printed as one flat JSON
 * object. Targets: {@code false_degraded} 0, {@code throughput_ratio} ≥ 0.98,
 * {@code pool_timeout_metric_error} 0, {@code probes_per_s_max} ≤ 2, {@code reconnect_burst_max} ≤ 0.5,
 * {@code acquire_fifo_violations} 0.
 */
record OverloadFigures(@JsonUnwrapped Saturation saturation, @JsonUnwrapped BusyPool busyPool,
                       @JsonUnwrapped Slow slow, @JsonUnwrapped Exhaustion exhaustion, long mainOutages,
                       @JsonUnwrapped Fleet fleet, @JsonUnwrapped Verdict verdict) implements DrillFigures {

    /** (a) 4 × pool size threads through Warden and plain HikariCP side by side: commits per second and their ratio. */
    record Saturation(int saturationThreads, long wardenCommitsPerS, long hikariCommitsPerS, double throughputRatio) {
    }

    /** A pool of one: acquire timeouts (true, as HikariCP's meter counts them, the difference) and the order waiters were served in. */
    record BusyPool(int poolTimeoutsTrue, long poolTimeoutsReported, long poolTimeoutMetricError,
                    List<Integer> acquireOrder, int acquireFifoViolations) {
    }

    /** (b) Slow statements and the monitor's backend stalled: stalls, late probes, commits, pooled connections lost. */
    record Slow(int slowStalls, long slowProbes, long slowCommits, int slowConnectionsDropped) {
    }

    /** (c) The server out of slots (53300): refused connects, probes that met it, commits and failures meanwhile. */
    record Exhaustion(int exhaustionRefusedConnects, long exhaustionRefusingProbes, long exhaustionCommits,
                      long exhaustionFailed) {
    }

    /** (d) A fleet behind a counting proxy recovering from a real outage: how soon, and how many connections at once. */
    record Fleet(int fleetClients, long fleetReadyMs, long fleetRefilledMs, int fleetConnectionsAtRecovery,
                 int reconnectBurstConnections, double reconnectBurstMax) {
    }

    /** Judged over every phase: READY → DEGRADED while the database was up, the highest probe rate, and every target. */
    record Verdict(int falseDegraded, @JsonProperty("probes_per_s_max") long probesPerSMax, boolean ok) {

        /** {@code ok} when every target holds. */
        static Verdict judge(int falseDegraded, long probesPerSMax, Saturation saturation, BusyPool busyPool,
                             Fleet fleet) {
            boolean ok = falseDegraded == 0
                    && saturation.throughputRatio() >= 0.98
                    && busyPool.poolTimeoutMetricError() == 0
                    && probesPerSMax <= 2
                    && fleet.reconnectBurstMax() <= 0.5
                    && busyPool.acquireFifoViolations() == 0;
            return new Verdict(falseDegraded, probesPerSMax, ok);
        }
    }

    @Override
    public boolean passed() {
        return verdict.ok();
    }

    @Override
    public String summary() {
        List<String> lines = new ArrayList<>();
        lines.add("Overload drill (targets: false_degraded 0, throughput_ratio >= 0.98,"
                + " pool_timeout_metric_error 0, probes_per_s_max <= 2, reconnect_burst_max <= 0.5,"
                + " acquire_fifo_violations 0)");
        JsonOutput.fields(this).forEach((k, v) -> lines.add("  %-32s %s".formatted(k, v)));
        lines.add(passed() ? "  OK: every target holds." : "  FAILED: see the figures above.");
        return String.join("\n", lines);
    }
}
