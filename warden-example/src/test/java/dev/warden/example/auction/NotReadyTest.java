package dev.warden.example.auction;

import static dev.warden.example.auction.Http.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.Warden;
import dev.warden.config.WardenConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** While the database cannot be reached, the service serves HTTP but answers 503 + Retry-After. */
class NotReadyTest {

    @Test
    void apiAndReadinessAre503WithRetryAfterUntilTheDatabaseAnswers() throws Exception {
        int closedPort = Replicas.freePort(); // nothing listens there
        Warden warden = Warden.create(WardenConfig.builder().environment(Map.of())
                .dbUrl("jdbc:postgresql://127.0.0.1:" + closedPort + "/postgres")
                .connectTimeout(Duration.ofSeconds(1)).startupTimeout(Duration.ofSeconds(60)).build());
        AppOptions options = new AppOptions("127.0.0.1", 0, "not-ready", "x".repeat(32).getBytes(StandardCharsets.UTF_8),
                Duration.ofMinutes(5), 4096, Duration.ofSeconds(1), "1", null);
        AuctionApp app = AuctionApp.create(warden, options).start();
        try {
            Http http = new Http("http://127.0.0.1:" + app.port());
            assertThat(http.get("/health/live", null).status()).isEqualTo(200);
            Http.Resp ready = http.get("/health/ready", null);
            assertProblem(ready, 503, "Not ready");
            assertThat(ready.header("Retry-After")).isEqualTo("2");
            Http.Resp listings = http.get("/listings", null);
            assertProblem(listings, 503, "retry shortly");
            assertThat(listings.header("Retry-After")).isEqualTo("2");
            Http.Resp login = http.post("/auth/login", null, "{\"username\":\"alice\",\"password\":\"alice-password\"}");
            assertProblem(login, 503, null);
            assertThat(http.get("/info", null).get("ready").asBoolean()).isFalse();
        } finally {
            app.close();
            warden.close();
        }
    }
}
