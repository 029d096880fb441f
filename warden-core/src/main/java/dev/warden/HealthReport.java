package dev.warden;

import dev.warden.tx.TxStats;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What is true of a Warden right now, safe to show anyone: it holds no password and no credentials
 * from the URL.
 *
 * @param state        the lifecycle state
 * @param since        when it entered that state
 * @param progress     what start-up is doing (or did last), for the startup probe
 * @param history      the last transitions, oldest first
 * @param transitions  how many times each transition happened, only those that did
 * @param init         the initialisation epoch and who ran it; null when there is nothing to initialise
 * @param database     where it connects
 * @param pool         connection pool figures, all zero before start
 * @param transactions transaction outcomes since start
 * @param monitor      the health monitor's figures: last probe, outages, recoveries
 * @param refused      work refused by the readiness gate
 */
public record HealthReport(State state, Instant since, String progress, List<Transition> history,
                           List<TransitionCount> transitions, Init init, Database database, Pool pool,
                           TxStats.Snapshot transactions, Monitor monitor, Refused refused) {

    /** Copies the collections. */
    public HealthReport {
        history = List.copyOf(history);
        transitions = List.copyOf(transitions);
    }

    /** How many times {@code from -> to} happened (0 when it never did). */
    public long transitionCount(State from, State to) {
        return transitions.stream().filter(t -> t.from() == from && t.to() == to).mapToLong(TransitionCount::count)
                .sum();
    }

    /** True when work is admitted and the database answers (the readiness probe). */
    public boolean ready() {
        return state == State.READY;
    }

    /** True once start-up is over, well or badly (the startup probe). */
    public boolean started() {
        return state == State.READY || state == State.DEGRADED;
    }

    /**
     * @param url      JDBC URL with credentials masked
     * @param user     database user
     * @param embedded true when Warden runs the embedded PostgreSQL
     * @param server   server version, once known
     */
    public record Database(String url, String user, boolean embedded, String server) {
    }

    /**
     * @param active  connections in use
     * @param idle    connections ready
     * @param waiting threads waiting for a connection
     * @param total   connections open
     * @param max     pool size limit
     */
    public record Pool(int active, int idle, int waiting, int total, int max) {
    }

    /**
     * The initialisation epoch: who ran it and whether this process did.
     *
     * @param epoch           the epoch's name
     * @param status          where the epoch stands
     * @param owner           who ran (or runs) it: application, host, process id
     * @param token           that owner's fencing token
     * @param attempts        initialisations of the epoch started so far, by any process
     * @param finishedAt      when it was completed, or null
     * @param initializedHere true when this process ran the initialisation that completed it
     * @param tookOver        true when this process took over from a holder that died or stalled
     * @param step            the current or last step
     * @param tookMs          time this process spent in initialisation, waiting included
     */
    public record Init(String epoch, InitStatus.Status status, String owner, long token, int attempts, Instant finishedAt,
                       boolean initializedHere, boolean tookOver, String step, long tookMs) {
    }

    /**
     * @param intervalMs          between probes while READY
     * @param timeoutMs           longest a probe may take
     * @param failuresToDegrade   consecutive failures that make READY become DEGRADED
     * @param lastProbeAt         when the last probe started, or null
     * @param lastProbeOk         whether it succeeded
     * @param lastProbeLatencyMs  how long it took
     * @param lastProbeError      why it failed, or null
     * @param consecutiveFailures failed probes since the last success
     * @param probes              probes run
     * @param probeFailures       probes that failed
     * @param degradedSince       start of the current outage, or null
     * @param outages             times READY became DEGRADED
     * @param recoveries          times DEGRADED became READY
     * @param failedRecoveries    probes that succeeded in DEGRADED but whose pool recovery failed
     * @param lastOutageMs        duration of the last finished outage, or null
     * @param lastTimeToRecoverMs its time to recover (last failed probe to READY), or null
     * @param lastProbeOutcome    what the last probe found (ANSWERED, SLOW, REFUSING_CONNECTIONS, REFUSED, SILENT), or null
     * @param overloaded          true when the last probe found the database slow or refusing new
     *                            connections: reachable and serving, not an outage
     * @param slowProbes          probes that found the database slow
     * @param refusingProbes      probes that found it refusing new connections while existing ones answered
     */
    public record Monitor(long intervalMs, long timeoutMs, int failuresToDegrade, Instant lastProbeAt,
                          boolean lastProbeOk, double lastProbeLatencyMs, String lastProbeError,
                          int consecutiveFailures, long probes, long probeFailures, Instant degradedSince,
                          long outages, long recoveries, long failedRecoveries, Long lastOutageMs,
                          Long lastTimeToRecoverMs, ProbeOutcome lastProbeOutcome, boolean overloaded,
                          long slowProbes, long refusingProbes) {
    }

    /**
     * @param notReady    work refused before READY (after the readiness wait) or after stopping
     * @param unavailable work refused at once because the database was unreachable
     */
    public record Refused(long notReady, long unavailable) {
    }
}
