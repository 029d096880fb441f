package dev.warden.drill.matrix;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonIncludeProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.warden.drill.DrillFigures;
import dev.warden.drill.Latency;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The figures of {@code warden drill matrix}: the options it ran with, the faults left out, one row
 * per fault with both clients' figures and Warden's targets, the bound on any Warden request, and
 * {@code ok} when every target holds and no fault was left out but on request.
 */
record MatrixFigures(@JsonUnwrapped Options options, List<String> notRun, List<Row> faults, long boundMs, boolean ok)
        implements DrillFigures {

    /** The options the drill ran with: pool size, writers per client, Warden's ride-through, whether a blackhole ran. */
    record Options(int pool, int writers, long rideThroughMs, boolean blackhole) {
    }

    /**
     * One client's figures for one fault: its requests, how they ended, their latency ({@code p50_ms},
     * {@code p99_ms}, {@code max_ms}), those over 5 s, {@code slowest}: the five slowest requests and how
     * each ended, those still running at the end, and the first message of each kind of failure.
     */
    record Client(long requests, @JsonUnwrapped Outcomes outcomes, @JsonUnwrapped(suffix = "_ms") Latency latency,
                  @JsonProperty("hung_over_5s") long hungOver5s, List<String> slowest, long stillRunning,
                  Map<String, String> failureExamples) {
    }

    /** How one client's requests that did not succeed ended: failed (by kind), outcome unknown, acknowledged but lost. */
    record Outcomes(long failed, Map<String, Long> failedByKind, long unknown, long lost) {
    }

    /**
     * Warden's states around one fault: how long the fault lasted, when Warden went DEGRADED after
     * its start (-1 when it did not) and READY after its heal (null when it did not go DEGRADED).
     */
    record Timeline(long faultMs, long degradedMs, Long readyAfterHealMs) {
    }

    /** One fault: its name, Warden's states, both clients' figures and Warden's targets. */
    record Row(String fault, @JsonUnwrapped Timeline timeline,
               @JsonInclude(JsonInclude.Include.NON_NULL) Long inFlightReleasedMs, Client warden, Client hikari,
               Targets targets) {
    }

    /**
     * Warden's targets for one fault, each true when it holds; a target that does not apply is null
     * and absent from the JSON: nothing failed that the plain pool served (only when the plain pool
     * failed nothing), and the blackhole's three. Printed by name, in this order, the bound on any
     * request named after its value ({@code waits_at_most_2500_ms}).
     */
    @JsonIncludeProperties({})
    record Targets(long boundMs, Requests requests, Blackhole blackhole) {

        /** The targets on Warden's requests; {@code failsNothingThePlainPoolServed} null when the plain pool failed some. */
        record Requests(Boolean failsNothingThePlainPoolServed, boolean losesNothing, boolean noMoreUnknownThanPlain,
                        boolean waitsAtMostBound) {
        }

        /** The targets on Warden's states around a blackhole (null for any other fault). */
        record Blackhole(boolean degradedWithin1500Ms, boolean releasedWithin2500Ms, boolean readyWithin1000MsOfHeal) {
        }

        /** The targets of one fault from the two clients' figures; {@code degradedMs}/{@code readyMs} for a blackhole only. */
        static Targets of(Client warden, Client plain, long boundMs, boolean blackhole, long degradedMs, Long readyMs) {
            Outcomes w = warden.outcomes();
            Requests requests = new Requests(plain.outcomes().failed() == 0 ? w.failed() == 0 : null, w.lost() == 0,
                    w.unknown() <= plain.outcomes().unknown(),
                    warden.latency().max() <= boundMs && warden.stillRunning() == 0);
            return new Targets(boundMs, requests, blackhole ? new Blackhole(degradedMs >= 0 && degradedMs <= 1500,
                    degradedMs >= 0 && degradedMs <= 2500, readyMs != null && readyMs >= 0 && readyMs <= 1000) : null);
        }

        /** The targets that apply, by name. */
        @JsonAnyGetter
        Map<String, Boolean> byName() {
            Map<String, Boolean> t = new LinkedHashMap<>();
            t.put("fails_nothing_the_plain_pool_served", requests.failsNothingThePlainPoolServed());
            t.put("loses_nothing", requests.losesNothing());
            t.put("no_more_unknown_than_plain", requests.noMoreUnknownThanPlain());
            t.put("waits_at_most_" + boundMs + "_ms", requests.waitsAtMostBound());
            if (blackhole != null) {
                t.put("degraded_within_1500_ms", blackhole.degradedWithin1500Ms());
                t.put("released_within_2500_ms", blackhole.releasedWithin2500Ms());
                t.put("ready_within_1000_ms_of_heal", blackhole.readyWithin1000MsOfHeal());
            }
            t.values().removeIf(Objects::isNull);
            return t;
        }

        /** The targets by their JSON names, as the summary prints them. */
        String text() {
            return byName().toString();
        }

        /** True when every target that applies holds. */
        boolean allHold() {
            return !byName().containsValue(false);
        }
    }

    @Override
    public boolean passed() {
        return ok;
    }

    @Override
    public String summary() {
        StringWriter text = new StringWriter();
        PrintWriter w = new PrintWriter(text);
        w.printf("%-46s | %-44s | %-44s%n", "fault", "plain HikariCP: failed/unknown/lost, p99/max ms",
                "Warden: failed/unknown/lost, p99/max ms");
        for (Row r : faults) {
            w.printf("%-46s | %-44s | %-44s%n", r.fault(), cell(r.hikari()), cell(r.warden()));
            if (r.timeline().degradedMs() != -1) {
                w.printf("%-46s   DEGRADED after %s ms, READY %s ms after the heal%n", "",
                        r.timeline().degradedMs(), r.timeline().readyAfterHealMs());
            }
            w.printf("%-46s   targets: %s%n", "", r.targets().text());
        }
        w.println("Bound on any Warden request: " + boundMs + " ms (max of WARDEN_RIDE_THROUGH and 2.5 s).");
        notRun.forEach(n -> w.println("not run: " + n));
        w.print(ok ? "OK: every target holds." : "FAILED: a target does not hold (see the targets).");
        w.flush();
        return text.toString();
    }

    private static String cell(Client f) {
        Outcomes o = f.outcomes();
        return o.failed() + " " + o.failedByKind() + " / " + o.unknown() + " / " + o.lost() + ", "
                + f.latency().p99() + "/" + f.latency().max() + (f.hungOver5s() > 0 ? ", hung>5s " + f.hungOver5s() : "");
    }
}
