package dev.warden.http;

import dev.warden.Warden;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.function.Consumer;

/**
 * Warden's endpoints as Javalin handlers, for an application that serves them on its own port.
 * Kept apart from {@link WardenHttp} so that the standalone server never loads Javalin.
 */
public final class WardenJavalin {

    private WardenJavalin() {
    }

    /** Mounts {@code /health/live}, {@code /health/startup}, {@code /health/ready}, {@code /health}, {@code /metrics}, {@code /dashboard}. */
    public static Consumer<JavalinConfig> routes(Warden warden) {
        HealthEndpoints endpoints = new HealthEndpoints(warden);
        return config -> {
            for (String path : HealthEndpoints.PATHS) {
                config.routes.get(path, handler(endpoints, path));
            }
        };
    }

    /** The handler of one endpoint path (one of the {@link HealthEndpoints} constants). */
    public static Handler handler(Warden warden, String path) {
        return handler(new HealthEndpoints(warden), path);
    }

    private static Handler handler(HealthEndpoints endpoints, String path) {
        if (!HealthEndpoints.PATHS.contains(path)) {
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
