package dev.warden.internal.health;

import dev.warden.ErrorKind;
import dev.warden.ProbeOutcome;
import dev.warden.State;
import dev.warden.internal.lifecycle.StateMachine;
import dev.warden.tx.TxStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Registers Warden's meters in a Micrometer registry. Names (Prometheus spelling in brackets):
 * <ul>
 * <li>{@code warden.state} [{@code warden_state}] gauge per {@code state} tag, 1 for the current state, 0 otherwise</li>
 * <li>{@code warden.transitions} [{@code warden_transitions_total}] counter tagged {@code from}, {@code to}</li>
 * <li>{@code warden.transactions} [{@code warden_transactions_total}] counter tagged {@code outcome}
 *     (committed, rolled_back, commit_unknown) and {@code kind} (none, or the {@link ErrorKind} of a failure)</li>
 * <li>{@code warden.transaction.retries} [{@code warden_transaction_retries_total}]</li>
 * <li>{@code warden.refused} [{@code warden_refused_total}] tagged {@code reason} (not_ready, unavailable)</li>
 * <li>{@code warden.outages}, {@code warden.recoveries}, {@code warden.recoveries.failed} counters</li>
 * <li>{@code warden.outage} [{@code warden_outage_seconds}] timer: duration of each finished outage</li>
 * <li>{@code warden.recovery} [{@code warden_recovery_seconds}] timer: time to recover of each outage</li>
 * <li>{@code warden.probe.latency} [{@code warden_probe_latency_seconds}] timer with a percentile histogram
 *     ({@code _bucket}), tagged {@code result} (ok, failed) and {@code outcome} (answered, slow,
 *     refusing_connections, refused, read_only, silent)</li>
 * <li>{@code warden.database.overloaded} [{@code warden_database_overloaded}] gauge, 1 when the last probe found
 *     the database slow or refusing new connections (reachable, not an outage), else 0</li>
 * <li>{@code warden.probes.slow}, {@code warden.probes.refusing} counters: probes that found it so</li>
 * </ul>
 * Counters read Warden's own counters when scraped ({@link FunctionCounter}); the transaction path
 * is not touched.
 */
public final class WardenMetrics {

    private WardenMetrics() {
    }

    /** Registers the lifecycle, transaction and monitor meters of one Warden. */
    public static void bind(MeterRegistry registry, StateMachine lifecycle, TxStats stats, HealthMonitor monitor) {
        for (State s : State.values()) {
            Gauge.builder("warden.state", lifecycle, l -> l.state() == s ? 1 : 0)
                    .tag("state", s.name())
                    .description("1 for the current lifecycle state, 0 for the others")
                    .register(registry);
        }
        lifecycle.addListener(t -> Counter.builder("warden.transitions")
                .tags("from", t.from().name(), "to", t.to().name())
                .description("StateMachine transitions")
                .register(registry).increment());

        txCounter(registry, stats, "committed", "none", TxStats.Snapshot::committed);
        txCounter(registry, stats, "rolled_back", "none", s -> s.rolledBack() - sumFailures(s));
        for (ErrorKind kind : ErrorKind.values()) {
            ToDoubleFunction<TxStats.Snapshot> f = kind == ErrorKind.CONNECTION
                    ? s -> s.failures().get(kind) - s.commitUnknown()
                    : s -> s.failures().get(kind);
            txCounter(registry, stats, "rolled_back", kind.name().toLowerCase(Locale.ROOT), f);
        }
        txCounter(registry, stats, "commit_unknown", "connection", TxStats.Snapshot::commitUnknown);
        FunctionCounter.builder("warden.transaction.commit_resolved", stats, TxStats::commitResolved)
                .description("COMMITs lost with their connection whose outcome verifyCommit() found out")
                .register(registry);
        FunctionCounter.builder("warden.transaction.retries", stats, s -> s.snapshot().retries())
                .description("Transaction runs repeated after a transient failure")
                .register(registry);
        FunctionCounter.builder("warden.refused", lifecycle, StateMachine::refusedNotReady)
                .tag("reason", "not_ready").description("Work refused by the readiness gate").register(registry);
        FunctionCounter.builder("warden.refused", lifecycle, StateMachine::refusedUnavailable)
                .tag("reason", "unavailable").description("Work refused by the readiness gate").register(registry);

        FunctionCounter.builder("warden.outages", monitor, m -> m.snapshot().outages())
                .description("Times READY became DEGRADED").register(registry);
        FunctionCounter.builder("warden.recoveries", monitor, m -> m.snapshot().recoveries())
                .description("Times DEGRADED became READY").register(registry);
        FunctionCounter.builder("warden.recoveries.failed", monitor, m -> m.snapshot().failedRecoveries())
                .description("Probes that succeeded in DEGRADED but whose pool recovery failed").register(registry);
        Timer outage = Timer.builder("warden.outage").description("Duration of each outage, DEGRADED to READY")
                .register(registry);
        Timer recovery = Timer.builder("warden.recovery")
                .description("Time to recover: last failed probe to READY").register(registry);
        Map<ProbeOutcome, Timer> probeTimers = new EnumMap<>(ProbeOutcome.class);
        for (ProbeOutcome o : ProbeOutcome.values()) {
            probeTimers.put(o, Timer.builder("warden.probe.latency")
                    .tag("result", o.reachable() ? "ok" : "failed")
                    .tag("outcome", o.name().toLowerCase(Locale.ROOT))
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofSeconds(30))
                    .description("Latency of the health monitor's probes").register(registry));
        }
        Gauge.builder("warden.database.overloaded", monitor, m -> m.snapshot().overloaded() ? 1 : 0)
                .description("1 when the last probe found the database slow or refusing new connections (not an outage)")
                .register(registry);
        FunctionCounter.builder("warden.probes.slow", monitor, m -> m.snapshot().slowProbes())
                .description("Probes that found the database slow (answered late): not an outage").register(registry);
        FunctionCounter.builder("warden.probes.refusing", monitor, m -> m.snapshot().refusingProbes())
                .description("Probes that found the server refusing new connections while existing ones answered")
                .register(registry);
        // Issue 21: a live host's silence, and commits that do not come back.
        Gauge.builder("warden.database.stalled", monitor, m -> m.snapshot().stalledSince() != null ? 1 : 0)
                .description("1 while the server's host answers TCP but PostgreSQL answers no query (work kept, new work held)")
                .register(registry);
        FunctionCounter.builder("warden.probes.stalled", monitor, m -> m.snapshot().stalledProbes())
                .description("Probes that found the server alive but silent").register(registry);
        Gauge.builder("warden.database.commit_blocked", monitor,
                        m -> Boolean.TRUE.equals(m.snapshot().commitBlocked()) ? 1 : 0)
                .description("1 when the last commit check's COMMIT did not come back in time (e.g. a synchronous standby gone)")
                .register(registry);
        monitor.addListener(new HealthMonitor.Listener() {
            @Override
            public void probed(ProbeOutcome outcome, long nanos) {
                probeTimers.get(outcome).record(nanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void recovered(Duration outageDuration, Duration timeToRecover) {
                outage.record(outageDuration);
                recovery.record(timeToRecover);
            }
        });
    }

    /** The ride-through's meters (issue 21): threads held now, and waits by how they ended. */
    public static void bindRideThrough(MeterRegistry registry, RideThrough rideThrough) {
        Gauge.builder("warden.ridethrough.waiting", rideThrough, RideThrough::waiting)
                .description("Threads holding new work while the database is unavailable").register(registry);
        FunctionCounter.builder("warden.ridethrough.waits", rideThrough, r -> r.figures().rodeThrough())
                .tag("outcome", "served").description("Waits in the ride-through, by how they ended").register(registry);
        FunctionCounter.builder("warden.ridethrough.waits", rideThrough, r -> r.figures().timedOut())
                .tag("outcome", "refused").description("Waits in the ride-through, by how they ended").register(registry);
        FunctionCounter.builder("warden.ridethrough.waits", rideThrough, r -> r.figures().overflowed())
                .tag("outcome", "overflow").description("Waits in the ride-through, by how they ended").register(registry);
    }

    private static void txCounter(MeterRegistry registry, TxStats stats, String outcome, String kind,
                                  ToDoubleFunction<TxStats.Snapshot> f) {
        FunctionCounter.builder("warden.transactions", stats, s -> f.applyAsDouble(s.snapshot()))
                .tags(Tags.of("outcome", outcome, "kind", kind))
                .description("Transactions by outcome and error kind")
                .register(registry);
    }

    private static long sumFailures(TxStats.Snapshot s) {
        long n = 0;
        for (long v : s.failures().values()) {
            n += v;
        }
        return n;
    }
}
