package dev.warden;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.warden.tx.TxStats;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What is true of a Warden right now, safe to show anyone: it holds no password and no credentials
 * from the URL.
 *
 * <p>The figures are grouped in small records ({@link Lifecycle}, {@link Init}'s and {@link Monitor}'s
 * groups, …) for Java readers. Serialised with Jackson the report is flat as it always was: the groups
 * are {@code @JsonUnwrapped} and the grouped figures keep their JSON names ({@code state},
 * {@code database}, {@code pool}, {@code monitor.lastProbeOk}, …), as docs/health.md lists them.
 * Jackson's annotations are an optional dependency: without Jackson on the class path they are ignored.
 *
 * @param lifecycle    the state, since when, start-up progress and how the state got here
 * @param init         the initialisation epoch and who ran it; null when there is nothing to initialise
 * @param database     where it connects
 * @param pool         connection pool figures, all zero before start
 * @param transactions transaction outcomes since start
 * @param monitor      the health monitor's figures: last probe, probes, outages, stall, commit check
 * @param refused      work refused by the readiness gate
 */
public record HealthReport(@JsonUnwrapped Lifecycle lifecycle, Init init, Database database, Pool pool,
                           TxStats.Snapshot transactions, Monitor monitor, Refused refused) {

    /** Requires the groups that are always there. */
    public HealthReport {
        Objects.requireNonNull(lifecycle, "lifecycle");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(transactions, "transactions");
        Objects.requireNonNull(monitor, "monitor");
        Objects.requireNonNull(refused, "refused");
    }

    /** The lifecycle state; short for {@code lifecycle().state()}. */
    public State state() {
        return lifecycle.state();
    }

    /** When it entered that state; short for {@code lifecycle().since()}. */
    public Instant since() {
        return lifecycle.since();
    }

    /** What start-up is doing (or did last); short for {@code lifecycle().progress()}. */
    public String progress() {
        return lifecycle.progress();
    }

    /** How many times {@code from -> to} happened (0 when it never did). */
    public long transitionCount(State from, State to) {
        return lifecycle.transitions().stream().filter(t -> t.from() == from && t.to() == to)
                .mapToLong(TransitionCount::count).sum();
    }

    /** True when work is admitted and the database answers (the readiness probe). */
    public boolean ready() {
        return state() == State.READY;
    }

    /** True once start-up is over, well or badly (the startup probe). */
    public boolean started() {
        return state() == State.READY || state() == State.DEGRADED;
    }

    /**
     * The lifecycle at the moment of the report (JSON: top-level fields).
     *
     * @param state       the lifecycle state
     * @param since       when it entered that state
     * @param progress    what start-up is doing (or did last), for the startup probe
     * @param history     the last transitions, oldest first
     * @param transitions how many times each transition happened, only those that did
     */
    public record Lifecycle(State state, Instant since, String progress, List<Transition> history,
                            List<TransitionCount> transitions) {
        /** Copies the collections. */
        public Lifecycle {
            history = List.copyOf(history);
            transitions = List.copyOf(transitions);
        }
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
     * The initialisation epoch: who ran it and whether this process did. JSON: {@code epoch},
     * {@code status}, {@code owner}, {@code token}, {@code attempts}, {@code finishedAt},
     * {@code initializedHere}, {@code tookOver}, {@code step}, {@code tookMs}.
     *
     * @param epoch       the epoch's name
     * @param status      where the epoch stands
     * @param owner       who ran (or runs) it, and that owner's fencing token
     * @param attempts    initialisations of the epoch started so far, by any process
     * @param finishedAt  when it was completed, or null
     * @param step        the current or last step
     * @param thisProcess this process's part in it
     */
    public record Init(String epoch, InitStatus.Status status, @JsonUnwrapped InitStatus.Owner owner, int attempts,
                       Instant finishedAt, String step, @JsonUnwrapped ThisProcess thisProcess) {

        /**
         * This process's part in the initialisation.
         *
         * @param initialized true when this process ran the initialisation that completed the epoch
         *                    (JSON {@code initializedHere})
         * @param tookOver    true when this process took over from a holder that died or stalled
         * @param tookMs      time this process spent in initialisation, waiting included
         */
        public record ThisProcess(@JsonProperty("initializedHere") boolean initialized, boolean tookOver,
                                  long tookMs) {
        }
    }

    /**
     * The health monitor's figures, in groups. JSON: one flat object ({@code intervalMs},
     * {@code lastProbeOk}, {@code probes}, {@code outages}, {@code stalledSince}, {@code commitBlocked}, …).
     *
     * @param settings    how it probes
     * @param lastProbe   what the last probe found
     * @param probes      how many probes ran and what they found
     * @param outages     the current outage and those that ended
     * @param stall       the current stall of a live host, and how long one may last
     * @param commitCheck whether a write can commit
     */
    public record Monitor(@JsonUnwrapped ProbeSettings settings, @JsonUnwrapped LastProbe lastProbe,
                          @JsonUnwrapped ProbeCounts probes, @JsonUnwrapped Outages outages,
                          @JsonUnwrapped Stall stall, @JsonUnwrapped CommitCheck commitCheck) {

        /** Requires every group (a group without figures holds nulls and zeros). */
        public Monitor {
            Objects.requireNonNull(settings, "settings");
            Objects.requireNonNull(lastProbe, "lastProbe");
            Objects.requireNonNull(probes, "probes");
            Objects.requireNonNull(outages, "outages");
            Objects.requireNonNull(stall, "stall");
            Objects.requireNonNull(commitCheck, "commitCheck");
        }
    }

    /**
     * How the monitor probes.
     *
     * @param intervalMs        between probes while READY
     * @param timeoutMs         longest a probe may take
     * @param failuresToDegrade consecutive failures that make READY become DEGRADED
     */
    public record ProbeSettings(long intervalMs, long timeoutMs, int failuresToDegrade) {
    }

    /**
     * What the last probe found; all null (and false, 0) before the first.
     *
     * @param at         when it started (JSON {@code lastProbeAt})
     * @param ok         whether it succeeded ({@code lastProbeOk})
     * @param latencyMs  how long it took ({@code lastProbeLatencyMs})
     * @param error      why it failed, or null ({@code lastProbeError})
     * @param outcome    what it found: ANSWERED, SLOW, REFUSING_CONNECTIONS, REFUSED, READ_ONLY, STALLED,
     *                   SILENT ({@code lastProbeOutcome})
     * @param overloaded true when it found the database slow or refusing new connections: reachable
     *                   and serving, not an outage ({@code overloaded})
     */
    public record LastProbe(@JsonProperty("lastProbeAt") Instant at, @JsonProperty("lastProbeOk") boolean ok,
                            @JsonProperty("lastProbeLatencyMs") double latencyMs,
                            @JsonProperty("lastProbeError") String error,
                            @JsonProperty("lastProbeOutcome") ProbeOutcome outcome, boolean overloaded) {
    }

    /**
     * How many probes ran and what they found.
     *
     * @param run                 probes run (JSON {@code probes})
     * @param failures            probes that failed ({@code probeFailures})
     * @param consecutiveFailures failed probes since the last success
     * @param slow                probes that found the database slow ({@code slowProbes})
     * @param refusing            probes that found it refusing new connections while existing ones
     *                            answered ({@code refusingProbes})
     * @param stalled             probes that found the database STALLED ({@code stalledProbes})
     */
    public record ProbeCounts(@JsonProperty("probes") long run, @JsonProperty("probeFailures") long failures,
                              int consecutiveFailures, @JsonProperty("slowProbes") long slow,
                              @JsonProperty("refusingProbes") long refusing,
                              @JsonProperty("stalledProbes") long stalled) {
    }

    /**
     * The current outage and those that ended.
     *
     * @param degradedSince       start of the current outage, or null
     * @param count               times READY became DEGRADED (JSON {@code outages})
     * @param recoveries          times DEGRADED became READY
     * @param failedRecoveries    probes that succeeded in DEGRADED but whose pool recovery failed
     * @param lastOutageMs        duration of the last finished outage, or null
     * @param lastTimeToRecoverMs its time to recover (last failed probe to READY), or null
     */
    public record Outages(Instant degradedSince, @JsonProperty("outages") long count, long recoveries,
                          long failedRecoveries, Long lastOutageMs, Long lastTimeToRecoverMs) {
    }

    /**
     * A server whose host answers TCP but whose PostgreSQL answers no query (STALLED: stopped,
     * starved, a paused pooler): work is kept and new work waits until the bound has passed.
     *
     * @param since   since when, or null (JSON {@code stalledSince})
     * @param boundMs how long a STALLED server stays READY ({@code WARDEN_STALL_BOUND}; JSON
     *                {@code stallBoundMs})
     */
    public record Stall(@JsonProperty("stalledSince") Instant since, @JsonProperty("stallBoundMs") long boundMs) {
    }

    /**
     * Whether a write can commit.
     *
     * @param blocked     true when the last check that a write can commit got no answer to its COMMIT in
     *                    time although the server answers (e.g. every commit waits for a synchronous
     *                    standby that is gone); null before the first check (JSON {@code commitBlocked})
     * @param lastCheckAt when that check ran, or null ({@code lastCommitCheckAt})
     */
    public record CommitCheck(@JsonProperty("commitBlocked") Boolean blocked,
                              @JsonProperty("lastCommitCheckAt") Instant lastCheckAt) {
    }

    /**
     * @param notReady    work refused before READY (after the readiness wait) or after stopping
     * @param unavailable work refused because the database was unreachable past the ride-through
     * @param rideThrough new work held while the database was unavailable
     */
    public record Refused(long notReady, long unavailable, RideThrough rideThrough) {
    }

    /**
     * New work held while the database was unavailable ({@code WARDEN_RIDE_THROUGH}).
     *
     * @param boundMs     how long after the start of an unavailability new work may wait
     * @param waiting     threads waiting now
     * @param waited      waits started
     * @param rodeThrough waits that ended with the database back: the work then ran
     * @param timedOut    waits that ended at the bound (or an interrupt): the work was refused
     * @param overflowed  work refused at once because the waiting room was full
     * @param longestMs   the longest wait so far
     */
    public record RideThrough(long boundMs, int waiting, long waited, long rodeThrough, long timedOut,
                              long overflowed, long longestMs) {
    }
}
