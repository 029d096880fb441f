package dev.warden.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.ThrowawayDatabase;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The endpoints over real HTTP, with a real PostgreSQL that the test stops and starts. */
class WardenHttpTest {

    private static final String SECRET = "hunter2-never-shown";
    private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static ThrowawayDatabase db;

    @BeforeAll
    static void startDatabase() {
        db = ThrowawayDatabase.start("warden-http-pg", Map.of());
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    private static Warden warden(PrometheusMeterRegistry registry) {
        // The embedded server trusts loopback, so the password is sent nowhere that checks it; the
        // report must still never show it, from the config or from the URL.
        WardenConfig cfg = WardenConfig.builder().environment(Map.of())
                .dbUrl(db.jdbcUrl() + "?password=" + SECRET)
                .dbPassword(SECRET).poolMaxSize(2).build();
        return Warden.builder().config(cfg).meterRegistry(registry).build();
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void probesReportAndMetricsOverHttpFollowTheDatabase() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Warden warden = warden(registry); WardenHttp http = WardenHttp.start(warden, 0)) {
            int p = http.port();
            // Before start(): alive, not started, not ready.
            assertThat(get(p, "/health/live").statusCode()).isEqualTo(200);
            HttpResponse<String> startup = get(p, "/health/startup");
            assertThat(startup.statusCode()).isEqualTo(503);
            assertThat(startup.body()).contains("\"state\":\"STARTING\"").contains("\"progress\"");
            assertThat(get(p, "/health/ready").statusCode()).isEqualTo(503);

            warden.start();
            warden.inTransaction(tx -> 1);
            assertThat(get(p, "/health/startup").statusCode()).isEqualTo(200);
            assertThat(get(p, "/health/startup").body()).contains("started: database answered");
            assertThat(get(p, "/health/ready").statusCode()).isEqualTo(200);
            HttpResponse<String> health = get(p, "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.headers().firstValue("Content-Type")).hasValueSatisfying(
                    v -> assertThat(v).startsWith("application/json"));
            assertThat(health.body()).contains("\"state\":\"READY\"").contains("\"history\"")
                    .contains("\"pool\"").contains("\"monitor\"").contains("\"committed\":1")
                    .doesNotContain("password=").doesNotContain(SECRET); // the URL is reported without its credentials
            HttpResponse<String> metrics = get(p, "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("warden_state{state=\"READY\"} 1.0")
                    .contains("warden_transactions_total{kind=\"none\",outcome=\"committed\"} 1.0")
                    .contains("hikaricp_connections").contains("warden_probe_latency_seconds")
                    .doesNotContain(SECRET);

            db.stop();
            await().atMost(Duration.ofSeconds(15)).until(warden::state, s -> s == State.DEGRADED);
            HttpResponse<String> ready = get(p, "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.headers().firstValue("Retry-After")).contains("1");
            assertThat(ready.body()).contains("\"state\":\"DEGRADED\"").contains("unreachable");
            assertThat(get(p, "/health/live").statusCode()).isEqualTo(200);
            assertThat(get(p, "/health/startup").statusCode()).isEqualTo(200);
            HttpResponse<String> degraded = get(p, "/health");
            assertThat(degraded.statusCode()).isEqualTo(503);
            assertThat(degraded.body()).contains("\"lastProbeOk\":false").doesNotContain(SECRET);
            assertThat(get(p, "/metrics").body()).contains("warden_state{state=\"DEGRADED\"} 1.0")
                    .contains("warden_outages_total 1.0");

            db.restart();
            assertThat(warden.awaitReady(Duration.ofSeconds(5))).isTrue();
            assertThat(get(p, "/health/ready").statusCode()).isEqualTo(200);
            assertThat(get(p, "/metrics").body()).contains("warden_recoveries_total 1.0")
                    .contains("warden_outage_seconds_count 1");
            assertThat(get(p, "/nope").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void theDashboardIsAPageOverTheReportThatReadsOnlyFieldsTheReportHas() throws Exception {
        try (Warden warden = warden(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start();
             WardenHttp http = WardenHttp.start(warden, 0)) {
            warden.inTransaction(tx -> 1);
            HttpResponse<String> page = get(http.port(), "/dashboard");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
            assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                    v -> assertThat(v).contains("default-src 'none'").contains("connect-src 'self'"));
            assertThat(page.body()).contains("<title>Warden</title>").contains("new URL(\"health\", location.href)")
                    .doesNotContain("innerHTML").doesNotContain(SECRET);

            // Every report field the script reads (r.x, r.x.y; m. = monitor, t. = transactions,
            // p. = pool, h. = a transition) is in the real report.
            JsonNode report = new ObjectMapper().readTree(get(http.port(), "/health").body());
            Map<String, JsonNode> roots = Map.of("r", report, "m", report.get("monitor"), "t", report.get("transactions"),
                    "p", report.get("pool"), "h", report.get("history").get(0));
            Matcher m = Pattern.compile("\\b([rmtph])\\.([a-zA-Z]+)(?:\\.([a-zA-Z]+))?").matcher(page.body());
            int checked = 0;
            while (m.find()) {
                JsonNode node = roots.get(m.group(1)).get(m.group(2));
                assertThat(node).as("report field %s read by the dashboard", m.group()).isNotNull();
                if (m.group(3) != null && node.isObject()) {
                    assertThat(node.get(m.group(3))).as("report field %s read by the dashboard", m.group()).isNotNull();
                }
                checked++;
            }
            assertThat(checked).isGreaterThan(30);
        }
    }

    @Test
    void handlersMountInAJavalinApp() throws Exception {
        try (Warden warden = warden(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start()) {
            Javalin app = Javalin.create(config -> {
                WardenHttp.javalin(warden).accept(config);
                config.routes.get("/hello", ctx -> ctx.result("hi"));
            }).start("127.0.0.1", 0);
            try {
                int p = app.port();
                assertThat(get(p, "/hello").body()).isEqualTo("hi");
                assertThat(get(p, "/health/live").statusCode()).isEqualTo(200);
                assertThat(get(p, "/health/ready").statusCode()).isEqualTo(200);
                assertThat(get(p, "/health").body()).contains("\"state\":\"READY\"").doesNotContain(SECRET);
                assertThat(get(p, "/metrics").body()).contains("warden_state");
                assertThat(get(p, "/dashboard").body()).contains("<title>Warden</title>");
            } finally {
                app.stop();
            }
        }
    }
}
