package dev.warden.example.auction;

import static dev.warden.example.auction.Http.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.PostgresExtension;
import dev.warden.testing.ThrowawayDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Whenever Warden is not READY the service still serves HTTP. Before {@code start()} returns, liveness
 * is 200, the startup probe shows what start-up is doing, and readiness and the API answer 503 +
 * Retry-After. In an outage (DEGRADED) the API fails at once with 503 and serves again afterwards.
 */
class NotReadyTest {

    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.shared();

    static AppOptions options(String replica) {
        return new AppOptions(new AppOptions.Network("127.0.0.1", 0, 0), replica, new AppOptions.Tokens(
                AuctionApiTest.randomSecret().getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(5)), 4096,
                Duration.ofSeconds(1), true);
    }

    @Test
    @Timeout(60)
    void probesShowProgressAndTheApiIs503WithRetryAfterUntilTheDatabaseAnswers() throws Exception {
        int closedPort = Replicas.freePort(); // nothing listens there
        Warden warden = AuctionApp.warden(AuctionApp.wardenConfig(WardenConfig.builder().environment(Map.of())
                .dbUrl("jdbc:postgresql://127.0.0.1:" + closedPort + "/postgres")
                .connectTimeout(Duration.ofSeconds(1)).startupTimeout(Duration.ofSeconds(60))));
        AuctionApp app = AuctionApp.create(warden, options("not-ready")).start();
        try {
            Http http = new Http("http://127.0.0.1:" + app.port());
            Http management = new Http("http://127.0.0.1:" + app.managementPort());
            assertThat(management.get("/health/live", null).status()).isEqualTo(200);
            Http.Resp startup = await(management, "/health/startup",
                    r -> r.get("progress").asText().startsWith("waiting for the database"));
            assertThat(startup.status()).isEqualTo(503);
            assertThat(startup.get("state").asText()).isEqualTo("CONNECTING");
            assertThat(startup.get("started").asBoolean()).isFalse();

            Http.Resp ready = management.get("/health/ready", null);
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.header("Retry-After")).isEqualTo("5");
            assertThat(ready.get("ready").asBoolean()).isFalse();
            assertThat(ready.get("reason").asText()).startsWith("starting: waiting for the database");

            Http.Resp listings = http.get("/listings", null);
            assertProblem(listings, 503, "The service is starting (CONNECTING); retry shortly");
            assertThat(listings.header("Retry-After")).isEqualTo("2");
            Http.Resp login = http.post("/auth/login", null, "{\"username\":\"alice\",\"password\":\"alice-password\"}");
            assertProblem(login, 503, "retry shortly");
            assertThat(management.get("/info", null).get("ready").asBoolean()).isFalse();
            assertThat(management.get("/health", null).status()).isEqualTo(503);
            assertThat(management.get("/metrics", null).raw()).contains("warden_state{state=\"CONNECTING\"} 1.0");
        } finally {
            app.close();
            warden.close();
        }
    }

    @Test
    @Timeout(120)
    void whileAnotherProcessInitialisesTheStartupProbeSaysSoAndTheApiIs503ThenItServes() throws Exception {
        WardenConfig config = AuctionApiTest.config(pg.newDatabase("notready").jdbcUrl());
        // Another "replica" that holds the initialisation in its seeding step until released.
        CountDownLatch seeding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Warden first = Warden.builder().config(config).seeder(AuctionSeeder.VERSION, ctx -> {
            seeding.countDown();
            assertThat(release.await(60, TimeUnit.SECONDS)).isTrue();
            new AuctionSeeder().seed(ctx);
        }).build();
        Thread initialiser = Thread.ofVirtual().start(first::start);
        Warden warden = null;
        AuctionApp app = null;
        try {
            assertThat(seeding.await(60, TimeUnit.SECONDS)).as("the first process is seeding").isTrue();
            warden = AuctionApp.warden(config, true);
            app = AuctionApp.create(warden, options("follower")).start();
            Http http = new Http("http://127.0.0.1:" + app.port());
            Http management = new Http("http://127.0.0.1:" + app.managementPort());

            Http.Resp startup = await(management, "/health/startup",
                    r -> r.get("progress").asText().startsWith("waiting for " + first.owner()));
            assertThat(startup.status()).isEqualTo(503);
            assertThat(startup.get("state").asText()).isEqualTo("INITIALIZING");
            assertThat(startup.get("progress").asText()).contains("to initialise epoch auto-");
            assertThat(management.get("/health/ready", null).status()).isEqualTo(503);
            Http.Resp health = management.get("/health", null);
            assertThat(health.get("init").get("status").asText()).isEqualTo("WAITING");
            assertThat(health.get("init").get("owner").asText()).isEqualTo(first.owner());
            Http.Resp listings = http.get("/listings", null);
            assertProblem(listings, 503, "The service is starting (INITIALIZING); retry shortly");
            assertThat(listings.header("Retry-After")).isEqualTo("2");

            release.countDown();
            assertThat(app.awaitReady(60_000)).as("ready; failure: %s", app.startFailure()).isTrue();
            assertThat(management.get("/health/startup", null).status()).isEqualTo(200);
            assertThat(management.get("/health/ready", null).status()).isEqualTo(200);
            assertThat(http.get("/listings", null).status()).isEqualTo(200);
            Http.Resp info = management.get("/info", null);
            assertThat(info.get("initializedByThisReplica").asBoolean()).isFalse();
            assertThat(info.get("initializedBy").asText()).isEqualTo(first.owner());
            initialiser.join(10_000);
            assertThat(first.state()).isEqualTo(State.READY);
            assertThat(first.initStatus().orElseThrow().initializedHere()).isTrue();
        } finally {
            release.countDown();
            if (app != null) {
                app.close();
            }
            if (warden != null) {
                warden.close();
            }
            first.close();
        }
    }

    @Test
    @Timeout(120)
    void inAnOutageTheApiIs503AtOnceAndServesAgainWhenTheDatabaseIsBack() throws Exception {
        ThrowawayDatabase db = ThrowawayDatabase.start("auction-outage-pg", Map.of("fsync", "off"));
        // Fail-fast is what this test measures: no ride-through (WARDEN_RIDE_THROUGH=0).
        Warden warden = AuctionApp.warden(AuctionApp.wardenConfig(WardenConfig.builder().environment(Map.of())
                .dbUrl(db.jdbcUrl()).poolMaxSize(8).rideThrough(java.time.Duration.ZERO)), true);
        AuctionApp app = AuctionApp.create(warden, options("outage")).start();
        try {
            assertThat(app.awaitReady(60_000)).as("ready; failure: %s", app.startFailure()).isTrue();
            Http http = new Http("http://127.0.0.1:" + app.port());
            Http management = new Http("http://127.0.0.1:" + app.managementPort());
            assertThat(http.get("/listings", null).status()).isEqualTo(200);

            db.stop();
            await(management, "/health/ready", r -> r.get("state").asText().equals("DEGRADED"));
            Http.Resp ready = management.get("/health/ready", null);
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.header("Retry-After")).isEqualTo("1");
            assertThat(management.get("/health/startup", null).status()).isEqualTo(200);
            long t0 = System.nanoTime();
            Http.Resp listings = http.get("/listings", null);
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertProblem(listings, 503, "The database is unavailable");
            assertThat(listings.header("Retry-After")).isEqualTo("2");
            assertThat(tookMs).as("fails fast, not after a pool or socket timeout").isLessThan(5000);
            // Logins the database cannot answer are not failed attempts: no lock-out afterwards.
            String alice = "{\"username\":\"alice\",\"password\":\"alice-password\"}";
            for (int i = 0; i <= LoginThrottle.PER_USERNAME_AND_ADDRESS.burst(); i++) {
                assertProblem(http.post("/auth/login", null, alice), 503, null);
            }

            db.restart();
            assertThat(app.awaitReady(30_000)).isTrue();
            assertThat(http.get("/listings", null).status()).isEqualTo(200);
            assertThat(http.post("/auth/login", null, alice).status()).isEqualTo(200);
        } finally {
            app.close();
            warden.close();
            db.close();
        }
    }

    /** Polls {@code path} until its JSON body satisfies {@code until} (10 s at most), and returns that answer. */
    private static Http.Resp await(Http http, String path, Predicate<Http.Resp> until) {
        return Awaitility.await().alias(path).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> http.get(path, null), r -> r.json() != null && until.test(r));
    }
}
