package dev.warden.example.auction;

import dev.warden.Warden;
import dev.warden.WardenConfig;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one replica of the auction service: Warden from {@code WARDEN_*} variables (embedded
 * PostgreSQL without {@code WARDEN_DB_URL}; the auction's migrations unless {@code WARDEN_MIGRATIONS}
 * is set), the service from {@link AppOptions#fromEnvironment()} (demo data only with
 * {@code AUCTION_DEMO_DATA=true}). Serves HTTP (probes on the management port, 503 from the API) while
 * Warden connects and initialises. Exits with status 2 and one line naming the variable when a
 * setting is bad (a JWT secret that is a placeholder or guessable, say). On SIGTERM/Ctrl-C it drains
 * (see {@link #stop}). Exits with status
 * 1 when start-up fails for good.
 */
public final class AuctionMain {

    private static final Logger log = LoggerFactory.getLogger(AuctionMain.class);

    private AuctionMain() {
    }

    public static void main(String[] args) throws Exception {
        AppOptions options;
        Duration shutdownDelay;
        long parentPid;
        try {
            options = AppOptions.fromEnvironment();
            shutdownDelay = shutdownDelay(System.getenv("AUCTION_SHUTDOWN_DELAY_MS"));
            parentPid = parentPid(System.getenv("AUCTION_PARENT_PID"));
        } catch (IllegalArgumentException e) {
            log.error("Invalid auction service configuration: {}", e.getMessage());
            System.exit(2);
            return;
        }
        Warden warden = AuctionApp.warden(AuctionApp.wardenConfig(WardenConfig.builder()), options.demoData());
        AuctionApp app = AuctionApp.create(warden, options).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(options, app, warden, shutdownDelay), "auction-stop"));
        if (parentPid > 0) {
            stopWithParent(parentPid);
        }
        log.info("Auction service {} serving the API on http://{}:{}, operator endpoints on http://{}:{}/health"
                        + " (Warden {}: {}; demo data {})", options.replica(), options.host(), app.port(), options.host(),
                app.managementPort(), warden.owner(), warden.config().init(), options.demoData() ? "on" : "off");
        while (app.startFailure() == null && !app.ready()) {
            Thread.sleep(50);
        }
        if (app.startFailure() != null) {
            log.error("Start-up failed: {}", app.startFailure().toString());
            System.exit(1);
        }
    }

    /**
     * The graceful stop (SIGTERM, Ctrl-C): Warden turns not-ready at once and drains: the
     * transactions in flight finish (up to {@code WARDEN_DRAIN_TIMEOUT}) while HTTP keeps serving,
     * answering new API requests 503 + Retry-After. Then HTTP stays up until
     * {@code AUCTION_SHUTDOWN_DELAY_MS} after the signal (so that a load balancer that polls
     * readiness stops sending here before the port closes; with a Kubernetes preStop delay it can
     * stay 0), and stops.
     */
    private static void stop(AppOptions options, AuctionApp app, Warden warden, Duration shutdownDelay) {
        long t0 = System.nanoTime();
        log.info("Auction service {} stopping: not ready, new requests get 503, transactions in flight finish (up to {})",
                options.replica(), WardenConfig.format(warden.config().service().drainTimeout()));
        warden.close();
        long lingerMs = shutdownDelay.toMillis() - (System.nanoTime() - t0) / 1_000_000;
        if (lingerMs > 0) {
            try {
                Thread.sleep(lingerMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        app.close();
        log.info("Auction service {} stopped in {} ms", options.replica(), (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * {@code AUCTION_PARENT_PID} (set by {@code warden demo}): when that process ends, however it ends
     * (SIGKILL included, which runs none of its hooks), this replica stops as on SIGTERM, so that no
     * replica outlives its demo.
     */
    private static void stopWithParent(long pid) {
        ProcessHandle.of(pid).ifPresentOrElse(parent -> parent.onExit().thenRun(() -> {
            log.info("The process that started this replica (pid {}) has ended; stopping", pid);
            System.exit(0);
        }), () -> {
            log.info("The process that started this replica (pid {}) has ended already; stopping", pid);
            System.exit(0);
        });
    }

    /** {@code AUCTION_PARENT_PID}: unset (0), or a process id. */
    static long parentPid(String raw) {
        if (raw == null || raw.isBlank()) {
            return 0;
        }
        if (raw.trim().matches("[0-9]{1,18}")) {
            return Long.parseLong(raw.trim());
        }
        throw new IllegalArgumentException("AUCTION_PARENT_PID must be a process id, got \"" + raw + "\"");
    }

    /** {@code AUCTION_SHUTDOWN_DELAY_MS}: 0 (default) to 60000. */
    static Duration shutdownDelay(String raw) {
        if (raw == null || raw.isBlank()) {
            return Duration.ZERO;
        }
        try {
            long ms = Long.parseLong(raw.trim());
            if (ms >= 0 && ms <= 60_000) {
                return Duration.ofMillis(ms);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("AUCTION_SHUTDOWN_DELAY_MS must be a whole number of milliseconds from 0"
                + " to 60000, got \"" + raw + "\"");
    }
}
