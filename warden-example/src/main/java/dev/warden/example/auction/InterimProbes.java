package dev.warden.example.auction;

import dev.warden.Warden;
import dev.warden.lifecycle.State;
import io.javalin.config.JavalinConfig;
import java.util.function.BooleanSupplier;

/**
 * INTERIM SEAM — deleted when warden-http (issue 4) is merged; its {@code /health/live},
 * {@code /health/startup}, {@code /health/ready}, {@code /health} and {@code /metrics} handlers are
 * mounted instead (through {@link AppOptions#extraRoutes()}).
 *
 * <p>{@code /health/live} answers 200 whenever the process serves HTTP (never asks the database);
 * {@code /health/ready} answers 200 only when Warden is READY and the auction's init step is done,
 * else 503 with a problem body and {@code Retry-After}.
 */
final class InterimProbes {

    private InterimProbes() {
    }

    static void mount(JavalinConfig config, Warden warden, BooleanSupplier initDone, Problems problems) {
        config.routes.get("/health/live", ctx -> ctx.json(java.util.Map.of("status", "UP")));
        config.routes.get("/health/ready", ctx -> {
            State s = warden.state();
            if (s == State.READY && initDone.getAsBoolean()) {
                ctx.json(java.util.Map.of("status", "READY"));
            } else {
                problems.write(ctx, Problems.unavailable("Not ready: Warden is " + s
                        + (initDone.getAsBoolean() ? "" : ", auction init not finished") + "."));
            }
        });
    }
}
