package dev.warden.example.jpa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.Warden;
import dev.warden.testing.Fault;
import dev.warden.testing.FaultProxy;
import dev.warden.testing.ThrowawayDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The JPA library's probes and API during a real outage: the network to PostgreSQL is black-holed (a
 * {@link FaultProxy}: no RST, no FIN, nothing answers), then healed. Readiness goes OUT_OF_SERVICE
 * (503), liveness stays UP, a request that needs the database is answered 503 with Retry-After (not a
 * 500), and all is served again after the heal.
 */
class LibraryProbesTest {

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static ThrowawayDatabase db;
    private static FaultProxy proxy;
    private static ConfigurableApplicationContext ctx;
    private static int port;

    record Answer(int status, String body, String retryAfter) {
    }

    @BeforeAll
    static void start() {
        db = ThrowawayDatabase.start("warden-jpa-probes", Map.of("fsync", "off"));
        proxy = FaultProxy.start(db.port());
        // WARDEN_RIDE_THROUGH=0: refused at once during the outage instead of after waiting 15 s for it to end
        ctx = new SpringApplicationBuilder(LibraryApplication.class)
                .properties("server.port=0", "spring.datasource.url=" + proxy.jdbcUrl("postgres"),
                        "warden.ride-through=0s", "warden.ready-wait=60s")
                .run();
        assertThat(ctx.getBean(Warden.class).awaitReady(Duration.ofSeconds(60))).isTrue();
        port = Integer.parseInt(ctx.getEnvironment().getProperty("local.server.port"));
    }

    @AfterAll
    static void stop() {
        if (ctx != null) {
            ctx.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (db != null) {
            db.close();
        }
    }

    private static Answer get(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(40)).build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Retry-After").orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readinessAndTheApiFollowABlackholedNetworkWhileLivenessStaysUp() {
        await().atMost(Duration.ofSeconds(30)).until(() -> get("/actuator/health/readiness").status() == 200);
        assertThat(get("/books/Dune").status()).isEqualTo(200);

        proxy.set(Fault.BLACKHOLE);
        long cut = System.nanoTime();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> get("/actuator/health/readiness").status() == 503);
            System.out.printf("readiness OUT_OF_SERVICE %d ms after the network was black-holed%n",
                    (System.nanoTime() - cut) / 1_000_000);
            assertThat(get("/actuator/health/readiness").body()).contains("OUT_OF_SERVICE");
            assertThat(get("/actuator/health/liveness")).as("liveness never depends on the database")
                    .extracting(Answer::status, Answer::body).containsExactly(200, "{\"status\":\"UP\"}");
            Answer refused = get("/books/Dune");
            assertThat(refused.status()).as("refused by Warden, not a 500").isEqualTo(503);
            assertThat(refused.retryAfter()).isEqualTo("1");
        } finally {
            proxy.set(Fault.PASS);
        }
        long healed = System.nanoTime();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> get("/actuator/health/readiness").status() == 200);
        System.out.printf("readiness UP %d ms after the network healed%n", (System.nanoTime() - healed) / 1_000_000);
        await().atMost(Duration.ofSeconds(30)).until(() -> get("/books/Dune").status() == 200);
        assertThat(get("/books/Dune").body()).contains("\"copies\":2");
    }
}
