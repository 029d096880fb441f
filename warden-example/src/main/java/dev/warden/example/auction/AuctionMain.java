package dev.warden.example.auction;

import dev.warden.Warden;
import dev.warden.config.WardenConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one replica of the auction service: Warden from {@code WARDEN_*} variables (embedded
 * PostgreSQL without {@code WARDEN_DB_URL}; the auction's migrations unless {@code WARDEN_MIGRATIONS}
 * is set), the service from {@link AppOptions#fromEnvironment()}. Serves HTTP (probes, and 503 from
 * the API) while Warden connects and initialises. Stops cleanly on SIGTERM/Ctrl-C. Exits with status
 * 1 when start-up fails for good.
 */
public final class AuctionMain {

    private static final Logger log = LoggerFactory.getLogger(AuctionMain.class);

    private AuctionMain() {
    }

    public static void main(String[] args) throws Exception {
        AppOptions options = AppOptions.fromEnvironment();
        Warden warden = AuctionApp.warden(AuctionApp.wardenConfig(WardenConfig.builder()));
        AuctionApp app = AuctionApp.create(warden, options).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Auction service {} stopping", options.replica());
            app.close();
            warden.close();
        }, "auction-stop"));
        log.info("Auction service {} serving HTTP on http://{}:{} (Warden {}: {})", options.replica(),
                options.host(), app.port(), warden.owner(), warden.config().init());
        while (app.startFailure() == null && !app.ready()) {
            Thread.sleep(50);
        }
        if (app.startFailure() != null) {
            log.error("Start-up failed: {}", app.startFailure().toString());
            System.exit(1);
        }
    }
}
