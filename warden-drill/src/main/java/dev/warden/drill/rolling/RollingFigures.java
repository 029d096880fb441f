package dev.warden.drill.rolling;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.warden.drill.DrillFigures;
import java.util.ArrayList;
import java.util.List;

/**
 * The figures of {@code warden drill rolling}, printed as one flat JSON object. Passed when every
 * replica was restarted, writes were acknowledged, and no request failed, no transaction was cut
 * and no acknowledged write was lost.
 */
record RollingFigures(@JsonUnwrapped Fleet fleet, @JsonUnwrapped Requests requests, @JsonUnwrapped Timings timings,
                      @JsonUnwrapped Evidence evidence, String targets, boolean passed) implements DrillFigures {

    static final String TARGETS = "failed_requests 0, cut_transactions 0, lost_writes 0";

    /** Replicas, and how many of them were restarted. */
    record Fleet(int replicas, int restarts) {
    }

    /** What the clients sent and got back. */
    record Requests(long requests, long failedRequests, long cutTransactions, long lostWrites, int acknowledgedWrites,
                    @JsonProperty("answered_503_while_draining") long answered503WhileDraining) {
    }

    /** The longest SIGTERM → exit and restart → ready again. */
    record Timings(long sigtermToExitMsMax, long readyAgainMsMax) {
    }

    /** Up to five failures, and where the replicas' logs are. */
    record Evidence(List<String> failuresSample, String logs) {
    }

    static RollingFigures judge(Fleet fleet, Requests requests, Timings timings, Evidence evidence) {
        boolean passed = fleet.restarts() == fleet.replicas() && requests.acknowledgedWrites() > 0
                && requests.failedRequests() == 0 && requests.cutTransactions() == 0 && requests.lostWrites() == 0;
        return new RollingFigures(fleet, requests, timings, evidence, TARGETS, passed);
    }

    @Override
    public String summary() {
        List<String> lines = new ArrayList<>();
        lines.add(("rolling restart of %d replicas: %d requests, %d failed, %d cut, %d lost of %d acknowledged;"
                + " %d answered 503 while draining; SIGTERM to exit max %d ms -> %s").formatted(fleet.replicas(),
                requests.requests(), requests.failedRequests(), requests.cutTransactions(), requests.lostWrites(),
                requests.acknowledgedWrites(), requests.answered503WhileDraining(), timings.sigtermToExitMsMax(),
                passed ? "PASS" : "FAIL"));
        evidence.failuresSample().forEach(s -> lines.add("  failure: " + s));
        return String.join("\n", lines);
    }
}
