package dev.warden.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.warden.HealthReport;
import dev.warden.State;
import dev.warden.Warden;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The answers of the probe, report and metrics endpoints, independent of the HTTP server that
 * serves them. None of them touches the database: they read Warden's state and counters.
 */
public final class HealthEndpoints {

    /** The paths served. */
    public static final String LIVE = "/health/live";
    /** Startup probe: 200 once initialised. */
    public static final String STARTUP = "/health/startup";
    /** Readiness probe: 200 only in READY. */
    public static final String READY = "/health/ready";
    /** The JSON health report. */
    public static final String HEALTH = "/health";
    /** Prometheus exposition. */
    public static final String METRICS = "/metrics";
    /** A live page over {@code /health}, refreshed every second. */
    public static final String DASHBOARD = "/dashboard";
    /** Every path served, in that order. */
    public static final List<String> PATHS = List.of(LIVE, STARTUP, READY, HEALTH, METRICS, DASHBOARD);

    static final String JSON = "application/json; charset=utf-8";
    static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
    static final String HTML = "text/html; charset=utf-8";

    /** The page may run its own inline script and fetch from its own origin, nothing else. */
    private static final Map<String, String> PAGE_HEADERS = Map.of("Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self';"
                    + " frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff", "X-Frame-Options", "DENY");
    private static final String PAGE = loadPage();

    /** Writes every JSON answer (package-private for the test that pins the report's field names). */
    static final ObjectMapper MAPPER = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    /**
     * One HTTP answer.
     *
     * @param status      the status code
     * @param contentType its content type
     * @param body        its body
     * @param headers     extra headers (e.g. Retry-After)
     */
    public record Response(int status, String contentType, String body, Map<String, String> headers) {
    }

    private final Warden warden;
    private final PrometheusMeterRegistry prometheus;

    /** Endpoints for this Warden; {@code /metrics} uses its registry when that is (or holds) a Prometheus one. */
    public HealthEndpoints(Warden warden) {
        this.warden = Objects.requireNonNull(warden, "warden");
        this.prometheus = warden.meterRegistry().flatMap(HealthEndpoints::findPrometheus).orElse(null);
    }

    private static Optional<PrometheusMeterRegistry> findPrometheus(MeterRegistry r) {
        if (r instanceof PrometheusMeterRegistry p) {
            return Optional.of(p);
        }
        if (r instanceof CompositeMeterRegistry c) {
            for (MeterRegistry inner : c.getRegistries()) {
                Optional<PrometheusMeterRegistry> p = findPrometheus(inner);
                if (p.isPresent()) {
                    return p;
                }
            }
        }
        return Optional.empty();
    }

    /** The answer for {@code path}, or null when it is not one of these endpoints. */
    public Response answer(String path) {
        return switch (path) {
            case LIVE -> live();
            case STARTUP -> startup();
            case READY -> ready();
            case HEALTH -> health();
            case METRICS -> metrics();
            case DASHBOARD -> dashboard();
            default -> null;
        };
    }

    /** Always 200 while the process runs: never depends on the database. */
    public Response live() {
        return json(200, Map.of("status", "alive"), Map.of());
    }

    /** 200 once initialised (READY or DEGRADED), else 503; the body shows the state and progress. */
    public Response startup() {
        State s = warden.state();
        boolean started = s == State.READY || s == State.DEGRADED;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("state", s);
        body.put("started", started);
        body.put("progress", warden.lifecycle().progress());
        warden.initStatus().ifPresent(i -> body.put("init", warden.health().init()));
        return json(started ? 200 : 503, body, started ? Map.of() : Map.of("Retry-After", "5"));
    }

    /**
     * 200 in READY, and in DEGRADED within {@code WARDEN_READINESS_GRACE} of the outage's start
     * ({@link Warden#readyForTraffic()}); otherwise 503 with the state, since when, and Retry-After.
     */
    public Response ready() {
        State s = warden.state();
        boolean ready = warden.readyForTraffic();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("state", s);
        body.put("ready", ready);
        body.put("since", warden.lifecycle().since());
        if (ready) {
            if (s != State.READY) {
                body.put("reason", "the database is unreachable, within WARDEN_READINESS_GRACE: still in the Service");
            }
            return json(200, body, Map.of());
        }
        body.put("reason", switch (s) {
            case DEGRADED -> "the database is unreachable; work fails fast until it answers again";
            case STARTING, CONNECTING, INITIALIZING -> "starting: " + warden.lifecycle().progress();
            default -> "not running";
        });
        return json(503, body, Map.of("Retry-After", s == State.DEGRADED ? "1" : "5"));
    }

    /** The health report as JSON: 200 in READY, 503 otherwise. Holds no password. */
    public Response health() {
        HealthReport report = warden.health();
        return json(report.ready() ? 200 : 503, report, Map.of());
    }

    /** Prometheus text exposition, or 404 when Warden has no Prometheus registry. */
    public Response metrics() {
        if (prometheus == null) {
            return new Response(404, "text/plain; charset=utf-8", "No Prometheus registry: build the Warden with"
                    + " .meterRegistry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).\n", Map.of());
        }
        return new Response(200, PROMETHEUS, prometheus.scrape(), Map.of());
    }

    /** The live dashboard: an HTML page whose script reads {@code /health} every second; holds no data itself. */
    public Response dashboard() {
        return new Response(200, HTML, PAGE, PAGE_HEADERS);
    }

    private static String loadPage() {
        try (InputStream in = HealthEndpoints.class.getResourceAsStream("dashboard.html")) {
            if (in == null) {
                throw new IllegalStateException("dashboard.html is missing from warden-http's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read dashboard.html from warden-http's jar", e);
        }
    }

    private static Response json(int status, Object body, Map<String, String> headers) {
        try {
            return new Response(status, JSON, MAPPER.writeValueAsString(body), headers);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write the health JSON", e);
        }
    }
}
