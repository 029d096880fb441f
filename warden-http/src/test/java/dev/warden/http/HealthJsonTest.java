package dev.warden.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.HealthReport;
import dev.warden.InitStatus;
import dev.warden.ProbeOutcome;
import dev.warden.State;
import dev.warden.Transition;
import dev.warden.TransitionCount;
import dev.warden.tx.TxStats;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The report's JSON stays flat although the Java records group their figures: every field name
 * that docs/health.md, the dashboard and users' scripts read is where it was.
 */
class HealthJsonTest {

    private static final Instant AT = Instant.parse("2026-12-04T12:00:00Z");

    static HealthReport report() {
        return new HealthReport(
                new HealthReport.Lifecycle(State.READY, AT, "started", List.of(new Transition(AT, State.DEGRADED,
                        State.READY, "probe answered")), List.of(new TransitionCount(State.DEGRADED, State.READY, 1))),
                new HealthReport.Init("e1", InitStatus.Status.COMPLETED, new InitStatus.Owner("app@host:1/x", 7), 2,
                        AT, "initialised here", new HealthReport.Init.ThisProcess(true, false, 42)),
                new HealthReport.Database("jdbc:postgresql://127.0.0.1:5432/db", "app", false, "PostgreSQL 17"),
                new HealthReport.Pool(1, 2, 0, 3, 10),
                new TxStats.Snapshot(5, 1, 0, 0, Map.of(), 0),
                new HealthReport.Monitor(new HealthReport.ProbeSettings(500, 400, 2),
                        new HealthReport.LastProbe(AT, true, 1.5, null, ProbeOutcome.SLOW, true),
                        new HealthReport.ProbeCounts(11, 12, 13, 14, 15, 16),
                        new HealthReport.Outages(null, 21, 22, 23, 24L, 25L),
                        new HealthReport.Stall(AT, 8000), new HealthReport.CommitCheck(false, AT)),
                new HealthReport.Refused(3, 4, new HealthReport.RideThrough(15000, 0, 1, 1, 0, 0, 9)));
    }

    @Test
    void theReportIsFlatWithItsFieldNames() throws Exception {
        JsonNode json = HealthEndpoints.MAPPER.readTree(HealthEndpoints.MAPPER.writeValueAsString(report()));

        assertThat(names(json)).containsExactlyInAnyOrder("state", "since", "progress", "history", "transitions",
                "init", "database", "pool", "transactions", "monitor", "refused");
        assertThat(json.get("state").asText()).isEqualTo("READY");
        assertThat(json.get("transitions").get(0).get("count").asLong()).isEqualTo(1);

        JsonNode init = json.get("init");
        assertThat(names(init)).containsExactlyInAnyOrder("epoch", "status", "owner", "token", "attempts",
                "finishedAt", "initializedHere", "tookOver", "step", "tookMs");
        assertThat(init.get("owner").asText()).isEqualTo("app@host:1/x");
        assertThat(init.get("token").asLong()).isEqualTo(7);
        assertThat(init.get("initializedHere").asBoolean()).isTrue();
        assertThat(init.get("tookMs").asLong()).isEqualTo(42);

        JsonNode m = json.get("monitor");
        assertThat(names(m)).containsExactlyInAnyOrder("intervalMs", "timeoutMs", "failuresToDegrade", "lastProbeAt",
                "lastProbeOk", "lastProbeLatencyMs", "lastProbeError", "lastProbeOutcome", "overloaded",
                "consecutiveFailures", "probes", "probeFailures", "slowProbes", "refusingProbes", "stalledProbes",
                "degradedSince", "outages", "recoveries", "failedRecoveries", "lastOutageMs", "lastTimeToRecoverMs",
                "stalledSince", "stallBoundMs", "commitBlocked", "lastCommitCheckAt");
        assertThat(m.get("probes").asLong()).isEqualTo(11);
        assertThat(m.get("probeFailures").asLong()).isEqualTo(12);
        assertThat(m.get("consecutiveFailures").asInt()).isEqualTo(13);
        assertThat(m.get("slowProbes").asLong()).isEqualTo(14);
        assertThat(m.get("refusingProbes").asLong()).isEqualTo(15);
        assertThat(m.get("stalledProbes").asLong()).isEqualTo(16);
        assertThat(m.get("outages").asLong()).isEqualTo(21);
        assertThat(m.get("lastTimeToRecoverMs").asLong()).isEqualTo(25);
        assertThat(m.get("stallBoundMs").asLong()).isEqualTo(8000);
        assertThat(m.get("lastProbeOutcome").asText()).isEqualTo("SLOW");
        assertThat(m.get("commitBlocked").asBoolean(true)).isFalse();
        assertThat(m.get("degradedSince").isNull()).isTrue();
    }

    private static List<String> names(JsonNode node) {
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
