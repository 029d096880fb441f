package dev.warden.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.ThrowawayDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The startup probe while the initialisation runs: 503 with the step and the epoch, then 200. */
class StartupProbeTest {

    private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void startupShowsTheInitialisationUntilItIsDone() throws Exception {
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-startup", Map.of())) {
            CountDownLatch seeding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            WardenConfig cfg = WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).poolMaxSize(2)
                    .schemas("probe_app").initEpoch("probe-1").build();
            Warden warden = Warden.builder().config(cfg).seeder("probe-seed-1", ctx -> {
                ctx.progress("halfway");
                seeding.countDown();
                if (!release.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("test never released the seeder");
                }
            }).build();
            try (warden; WardenHttp http = WardenHttp.start(warden, 0)) {
                CompletableFuture<Warden> started = CompletableFuture.supplyAsync(warden::start);
                assertThat(seeding.await(30, TimeUnit.SECONDS)).isTrue();
                HttpResponse<String> during = get(http.port(), "/health/startup");
                assertThat(during.statusCode()).isEqualTo(503);
                assertThat(during.headers().firstValue("Retry-After")).isPresent();
                assertThat(during.body()).contains("\"state\":\"INITIALIZING\"").contains("seeding: halfway")
                        .contains("\"epoch\":\"probe-1\"").contains("\"status\":\"IN_PROGRESS\"");
                assertThat(get(http.port(), "/health/ready").statusCode()).isEqualTo(503);
                assertThat(get(http.port(), "/health/live").statusCode()).isEqualTo(200);
                release.countDown();
                started.get(30, TimeUnit.SECONDS);
                HttpResponse<String> after = get(http.port(), "/health/startup");
                assertThat(after.statusCode()).isEqualTo(200);
                assertThat(after.body()).contains("\"status\":\"COMPLETED\"").contains("\"initializedHere\":true");
                assertThat(get(http.port(), "/health/ready").statusCode()).isEqualTo(200);
            }
        }
    }
}
