package dev.warden.example.auction;

import dev.warden.Warden;
import dev.warden.config.WardenConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one replica of the auction service: Warden from {@code WARDEN_*} variables (embedded
 * PostgreSQL without {@code WARDEN_DB_URL}), the service from {@link AppOptions#fromEnvironment()}.
 * Stops cleanly on SIGTERM/Ctrl-C. Exits with status 1 when start-up fails for good.
 */
public final class AuctionMain {

    private static final Logger log = LoggerFactory.getLogger(AuctionMain.class);

    private AuctionMain() {
    }

    public static void main(String[] args) throws Exception {
        AppOptions options = AppOptions.fromEnvironment();
        Warden warden = Warden.create(WardenConfig.fromEnvironment());
        AuctionApp app = AuctionApp.create(warden, options).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Auction service {} stopping", options.replica());
            app.close();
            warden.close();
        }, "auction-stop"));
        log.info("Auction service {} serving HTTP on http://{}:{}", options.replica(), options.host(), app.port());
        while (app.startFailure() == null && !app.ready()) {
            Thread.sleep(50);
        }
        if (app.startFailure() != null) {
            log.error("Start-up failed: {}", app.startFailure().toString());
            System.exit(1);
        }
    }
}
