package dev.warden.internal;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.DatabaseUnavailableException;
import dev.warden.ErrorKind;
import dev.warden.NotReadyException;
import dev.warden.PoolTimeoutException;
import dev.warden.State;
import dev.warden.TransactionException;
import dev.warden.WardenConfig;
import dev.warden.WardenException;
import dev.warden.internal.health.HealthMonitor;
import dev.warden.internal.health.RideThrough;
import dev.warden.internal.lifecycle.StateMachine;
import dev.warden.internal.tx.Transactions;
import java.sql.SQLException;

/**
 * The way into a Warden's transactions: the readiness gate in front of them, and what a transaction's
 * failure tells the health monitor and the caller on the way out.
 */
public final class ReadinessGate {

    private final WardenConfig config;
    private final StateMachine lifecycle;
    private final HealthMonitor monitor;
    private final StartSequence startSequence;

    /** For the parts of one Warden. */
    public ReadinessGate(WardenConfig config, StateMachine lifecycle, HealthMonitor monitor,
                         StartSequence startSequence) {
        this.config = config;
        this.lifecycle = lifecycle;
        this.monitor = monitor;
        this.startSequence = startSequence;
    }

    /**
     * The readiness gate: before READY waits up to {@code WARDEN_READY_WAIT}, then throws
     * {@link NotReadyException}; in DEGRADED waits for the database within the ride-through
     * ({@code WARDEN_RIDE_THROUGH}), then throws {@link DatabaseUnavailableException}.
     */
    public Transactions ready() {
        if (lifecycle.state() == State.DEGRADED) {
            RideThrough r = startSequence.rideThrough();
            if (r != null) {
                r.await();
            }
        }
        lifecycle.admit(config.service().readyWait());
        Transactions t = startSequence.transactions();
        if (t == null) {
            throw new NotReadyException(lifecycle.state(), "Warden is not started.");
        }
        return t;
    }

    /**
     * A connection failure makes the monitor probe now rather than at its next interval; a
     * transaction refused by the fast-fail pool before it ran becomes the
     * {@link DatabaseUnavailableException} it stands for. Only that refusal says "nothing ran": a
     * failure that holds a refusal deeper in its causes (work that ran, then a refused retry) keeps
     * its own message.
     */
    public WardenException afterFailure(WardenException e) {
        if (e.kind() != ErrorKind.CONNECTION || e instanceof CommitOutcomeUnknownException) {
            return e;
        }
        if (e instanceof TransactionException && e.getCause() instanceof SQLException refused
                && refused.getCause() instanceof DatabaseUnavailableException du) {
            return new DatabaseUnavailableException(du.since(), du.reason(), e);
        }
        if (e.getCause() instanceof PoolTimeoutException) {
            return e; // a busy pool's acquire timeout says nothing about the database: no probe
        }
        monitor.nudge();
        return e;
    }
}
