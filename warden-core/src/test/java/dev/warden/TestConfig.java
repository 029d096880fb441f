package dev.warden;

import dev.warden.testing.SharedPostgres;
import java.time.Duration;
import java.util.Map;

/** Warden configurations for the tests (the database itself is warden-testing's {@link SharedPostgres}). */
public final class TestConfig {

    private TestConfig() {
    }

    /**
     * A config for the JVM's shared throw-away PostgreSQL that ignores the machine's environment, with a
     * small pool and short retry backoffs.
     */
    public static WardenConfig.Builder sharedPostgres() {
        return WardenConfig.builder().environment(Map.of())
                .dbUrl(SharedPostgres.url())
                .poolMaxSize(8)
                .retryInitialBackoff(Duration.ofMillis(1))
                .retryMaxBackoff(Duration.ofMillis(50));
    }
}
