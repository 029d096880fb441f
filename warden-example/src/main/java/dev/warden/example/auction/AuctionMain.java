package dev.warden.example.auction;

import dev.warden.Warden;
import dev.warden.config.WardenConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one replica of the auction service: Warden from {@code WARDEN_*} variables (embedded
 * PostgreSQL without {@code WARDEN_DB_URL}; the auction's migrations unless {@code WARDEN_MIGRATIONS}
 * is set), the service from {@link AppOptions#fromEnvironment()} (demo data only with
 * {@code AUCTION_DEMO_DATA=true}). Serves HTTP (probes on the management port, 503 from the API) while
 * Warden connects and initialises. Exits with status 2 and one line naming the variable when a
 * setting is bad (a JWT secret that is a placeholder or guessable, say). Stops cleanly on SIGTERM/Ctrl-C. Exits with status
 * 1 when start-up fails for good.
 */
public final class AuctionMain {

    private static final Logger log = LoggerFactory.getLogger(AuctionMain.class);

    private AuctionMain() {
    }

    public static void main(String[] args) throws Exception {
        AppOptions options;
        try {
            options = AppOptions.fromEnvironment();
        } catch (IllegalArgumentException e) {
            log.error("Invalid auction service configuration: {}", e.getMessage());
            System.exit(2);
            return;
        }
        Warden warden = AuctionApp.warden(AuctionApp.wardenConfig(WardenConfig.builder()), options.demoData());
        AuctionApp app = AuctionApp.create(warden, options).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Auction service {} stopping", options.replica());
            app.close();
            warden.close();
        }, "auction-stop"));
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
}
