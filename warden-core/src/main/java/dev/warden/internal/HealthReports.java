package dev.warden.internal;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.warden.HealthReport;
import dev.warden.InitStatus;
import dev.warden.WardenConfig;
import dev.warden.internal.health.HealthMonitor;
import dev.warden.internal.health.RideThrough;
import dev.warden.internal.lifecycle.StateMachine;
import dev.warden.internal.tx.TxCounters;

/**
 * Assembles {@code Warden.health()}: state, initialisation, database, pool, transactions, monitor and
 * refusals, from the parts of one Warden. Never contains a secret (the URL is masked).
 */
public final class HealthReports {

    private final WardenConfig config;
    private final StateMachine lifecycle;
    private final TxCounters stats;
    private final HealthMonitor monitor;
    private final StartSequence startSequence;

    /** For the parts of one Warden. */
    public HealthReports(WardenConfig config, StateMachine lifecycle, TxCounters stats, HealthMonitor monitor,
                         StartSequence startSequence) {
        this.config = config;
        this.lifecycle = lifecycle;
        this.stats = stats;
        this.monitor = monitor;
        this.startSequence = startSequence;
    }

    /** The report now. */
    public HealthReport report() {
        HealthReport.Pool poolInfo = new HealthReport.Pool(0, 0, 0, 0, config.pool().maxSize());
        HikariDataSource p = startSequence.pool();
        if (p != null && !p.isClosed()) {
            HikariPoolMXBean mx = p.getHikariPoolMXBean();
            if (mx != null) {
                poolInfo = new HealthReport.Pool(mx.getActiveConnections(), mx.getIdleConnections(),
                        mx.getThreadsAwaitingConnection(), mx.getTotalConnections(), config.pool().maxSize());
            }
        }
        String jdbcUrl = startSequence.jdbcUrl();
        String url = jdbcUrl == null ? (config.embedded() ? "(embedded, not started)" : WardenConfig.maskUrl(
                config.database().url().orElseThrow())) : WardenConfig.maskUrl(jdbcUrl);
        HealthReport.Init init = startSequence.initStatus().map(HealthReports::init).orElse(null);
        return new HealthReport(new HealthReport.Lifecycle(lifecycle.state(), lifecycle.since(), lifecycle.progress(),
                lifecycle.history(), lifecycle.transitionCounts()), init,
                new HealthReport.Database(url, startSequence.user(), config.embedded(), startSequence.serverVersion()),
                poolInfo,
                stats.snapshot(), HealthMonitor.report(monitor.snapshot()),
                new HealthReport.Refused(lifecycle.refusedNotReady(), lifecycle.refusedUnavailable(), rideThroughReport()));
    }

    private static HealthReport.Init init(InitStatus s) {
        return new HealthReport.Init(s.epoch(), s.status(), s.owner(), s.attempts(), s.finishedAt(), s.step(),
                new HealthReport.Init.ThisProcess(s.thisProcess().initialized(), s.thisProcess().tookOver(),
                        s.thisProcess().took().toMillis()));
    }

    private HealthReport.RideThrough rideThroughReport() {
        RideThrough r = startSequence.rideThrough();
        if (r == null) {
            return new HealthReport.RideThrough(config.monitor().rideThrough().toMillis(), 0, 0, 0, 0, 0, 0);
        }
        RideThrough.Figures f = r.figures();
        return new HealthReport.RideThrough(r.bound().toMillis(), f.waiting(), f.waited(), f.rodeThrough(), f.timedOut(),
                f.overflowed(), f.longestMs());
    }
}
