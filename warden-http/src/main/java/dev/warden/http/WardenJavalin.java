package dev.warden.http;

import dev.warden.Warden;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.List;
import java.util.function.Consumer;

/**
 * Warden's endpoints as Javalin handlers, for an application that serves them on its own port.
 * Kept apart from {@link WardenHttp} so that the standalone server never loads Javalin.
 */
public final class WardenJavalin {

    private WardenJavalin() {
    }

    /** Mounts {@code /health/live}, {@code /health/startup}, {@code /health/ready}, {@code /health}, {@code /metrics}. */
    public static Consumer<JavalinConfig> routes(Warden warden) {
        HealthEndpoints endpoints = new HealthEndpoints(warden);
        return config -> {
            for (String path : List.of(HealthEndpoints.LIVE, HealthEndpoints.STARTUP, HealthEndpoints.READY,
                    HealthEndpoints.HEALTH, HealthEndpoints.METRICS)) {
                config.routes.get(path, handler(endpoints, path));
            }
        };
    }

    /** The handler of one endpoint path (one of the {@link HealthEndpoints} constants). */
    public static Handler handler(Warden warden, String path) {
        return handler(new HealthEndpoints(warden), path);
    }

    private static Handler handler(HealthEndpoints endpoints, String path) {
        if (!List.of(HealthEndpoints.LIVE, HealthEndpoints.STARTUP,
                HealthEndpoints.READY, HealthEndpoints.HEALTH, HealthEndpoints.METRICS).contains(path)) {
            throw new IllegalArgumentException("not a Warden endpoint: " + path);
        }
        return (Context ctx) -> {
            HealthEndpoints.Response r = endpoints.answer(path);
            r.headers().forEach(ctx::header);
            ctx.header("Cache-Control", "no-store");
            ctx.status(r.status()).contentType(r.contentType()).result(r.body());
        };
    }
}
