package dev.warden.example.auction;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.InitStatus;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.http.HealthEndpoints;
import dev.warden.http.WardenHttp;
import dev.warden.http.WardenJavalin;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The operator endpoints on a port of their own ({@code WARDEN_MANAGEMENT_PORT}), apart from the
 * public API: warden-http's probes ({@code /health/live}, {@code /health/startup}, {@code /health/ready}),
 * {@code /health}, {@code /metrics}, {@code /dashboard}, and the service's {@code /info}. They show the
 * database host, the pool, the traffic and this process's identity, so they are not on the API port
 * at all; keep this port off any public ingress (the Kubernetes Service does not expose it).
 */
final class ManagementServer implements AutoCloseable {

    /** The paths served here, and only here. */
    static final java.util.List<String> PATHS = java.util.List.of("/health/live", "/health/startup",
            "/health/ready", "/health", "/metrics", "/dashboard", "/info");

    private final Warden warden;
    private final AppOptions options;
    private final Javalin javalin;

    ManagementServer(Warden warden, AppOptions options, ObjectMapper json) {
        this.warden = warden;
        this.options = options;
        Problems problems = new Problems(json, null);
        this.javalin = Javalin.create(config -> {
            config.concurrency.useVirtualThreads = true;
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.jsonMapper(new JavalinJackson(json, false));
            HttpHardening.install(config);
            config.routes.exception(Exception.class, problems::handle);
            WardenHttp.javalin(warden).accept(config);
            config.routes.get("/info", this::info);
            for (String path : HealthEndpoints.PATHS) { // HEAD answers as GET does (without the body)
                config.routes.head(path, WardenJavalin.handler(warden, path));
            }
            config.routes.head("/info", this::info);
            config.routes.error(404, "*", ctx -> problems.write(ctx, ApiException.notFound("No such operator"
                    + " endpoint: " + ctx.path() + ". Served here: " + String.join(", ", PATHS) + ".")));
        });
    }

    /** Starts serving on {@code host}:{@code port} (0 for any free port). */
    ManagementServer start() {
        javalin.start(options.network().host(), options.network().managementPort());
        return this;
    }

    int port() {
        return javalin.port();
    }

    /** This replica, and Warden's word on the initialisation (the same as {@code /health}'s {@code init}). */
    private void info(Context ctx) {
        InitStatus s = warden.initStatus().orElse(null);
        boolean done = s != null && s.status() == InitStatus.Status.COMPLETED;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("replica", options.replica());
        body.put("owner", warden.owner());
        body.put("state", warden.state().name());
        body.put("ready", warden.state() == State.READY);
        body.put("initializedByThisReplica", done && s.initializedHere());
        body.put("initializedBy", done ? s.owner().name() : null);
        body.put("initEpoch", s == null ? null : s.epoch());
        ctx.json(body);
    }

    @Override
    public void close() {
        javalin.stop();
    }
}
