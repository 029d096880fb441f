package dev.warden.example.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.testing.SharedPostgres;
import dev.warden.testing.ThrowawayDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Actuator's endpoints answer, and readiness follows a real PostgreSQL outage while liveness does not. */
class ProbesTest extends BankTestBase {

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @LocalServerPort
    int port;

    record Answer(int status, String body) {
    }

    private Answer get(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(40)).build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void actuatorEndpointsAnswer() {
        Answer health = get("/actuator/health");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.body()).contains("\"warden\"").contains("\"state\":\"READY\"").doesNotContain("\"db\"");
        assertThat(get("/actuator/health/liveness")).isEqualTo(new Answer(200, "{\"status\":\"UP\"}"));
        assertThat(get("/actuator/health/readiness")).isEqualTo(new Answer(200, "{\"status\":\"UP\"}"));
        Answer warden = get("/actuator/health/warden");
        assertThat(warden.body()).contains("\"report\"").contains("\"progress\"").contains("\"init\"")
                .contains("\"initializedHere\":true").doesNotContain("password");
        // The report's groups are unwrapped by the actuator's Jackson too: its JSON stays flat.
        assertThat(warden.body()).contains("\"lastProbeOk\":").contains("\"stallBoundMs\":").contains("\"tookMs\":")
                .contains("\"history\":[").doesNotContain("\"lastProbe\":").doesNotContain("\"thisProcess\":")
                .doesNotContain("\"lifecycle\":");
        Answer metrics = get("/actuator/metrics");
        assertThat(metrics.body()).contains("warden.state").contains("warden.transactions").contains("hikaricp.connections");
        assertThat(get("/accounts/1").body()).contains("\"owner\":\"ada\"");
    }

    @Test
    void readinessIsDownDuringARealOutageAndUpSoonAfterItsEnd() {
        ThrowawayDatabase db = SharedPostgres.get();
        ReadinessEvents.fromWarden.clear();
        db.stop();
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> get("/actuator/health/readiness").status() == 503);
            assertThat(get("/actuator/health/liveness").status()).as("liveness never depends on the database").isEqualTo(200);
            assertThat(get("/actuator/health/warden").body()).contains("\"status\":\"DOWN\"").contains("DEGRADED");
            // Refused after WARDEN_RIDE_THROUGH (1 s here, BankTestBase) of waiting for the database to come back.
            Answer refused = get("/accounts/1");
            assertThat(refused.status()).isEqualTo(503);
        } finally {
            db.restart();
        }
        long back = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> get("/actuator/health/readiness").status() == 200);
        System.out.printf("readiness UP %d ms after PostgreSQL accepted connections again%n",
                (System.nanoTime() - back) / 1_000_000);
        assertThat(get("/accounts/1").status()).isEqualTo(200);
        assertThat(ReadinessEvents.fromWarden).as("published as availability changes")
                .containsExactly(ReadinessState.REFUSING_TRAFFIC, ReadinessState.ACCEPTING_TRAFFIC);
    }
}
