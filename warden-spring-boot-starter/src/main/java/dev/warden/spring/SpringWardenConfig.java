package dev.warden.spring;

import dev.warden.ConfigException;
import dev.warden.WardenConfig;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.core.env.Environment;
import org.springframework.core.io.DefaultResourceLoader;

/**
 * Reads Warden's configuration from a Spring {@link Environment}: every {@code WARDEN_X_Y} variable
 * is the property {@code warden.x.y} (so {@code WARDEN_DB_URL} in the process environment still works,
 * through Spring's own environment mapping), with the same defaults and the same validation, done by
 * {@link WardenConfig.Builder#build()}. Spring Boot's own settings fill what {@code warden.*} leaves
 * unset:
 * <ul>
 *   <li>{@code spring.datasource.url}, {@code .username}, {@code .password} when {@code warden.db.url}
 *       is unset (neither set: the embedded PostgreSQL);</li>
 *   <li>{@code spring.flyway.locations} when {@code warden.migrations} is unset, else
 *       {@code classpath:db/migration} when that directory exists (Spring Boot's own default);</li>
 *   <li>{@code spring.application.name} when {@code warden.app.name} is unset.</li>
 * </ul>
 */
public final class SpringWardenConfig {

    private static final String BOOT_MIGRATIONS = "classpath:db/migration";

    private SpringWardenConfig() {
    }

    /** The property a variable is read from: {@code WARDEN_POOL_MAX_SIZE} → {@code warden.pool.max.size}. */
    public static String property(String variable) {
        return variable.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /**
     * The configuration for this environment.
     *
     * @throws ConfigException naming each bad variable, its value and the rule it broke
     */
    public static WardenConfig from(Environment env) {
        Map<String, String> values = new HashMap<>();
        for (String variable : WardenConfig.variables().keySet()) {
            String v = env.getProperty(property(variable));
            if (v != null) {
                values.put(variable, v);
            }
        }
        Map<String, String> defaults = new HashMap<>();
        if (!values.containsKey("WARDEN_DB_URL")) {
            putIfSet(defaults, "WARDEN_DB_URL", env.getProperty("spring.datasource.url"));
            putIfSet(defaults, "WARDEN_DB_USER", env.getProperty("spring.datasource.username"));
            putIfSet(defaults, "WARDEN_DB_PASSWORD", env.getProperty("spring.datasource.password"));
        }
        String locations = env.getProperty("spring.flyway.locations");
        if (locations != null && !locations.isBlank()) {
            defaults.put("WARDEN_MIGRATIONS", locations);
        } else if (new DefaultResourceLoader().getResource(BOOT_MIGRATIONS + "/").exists()) {
            defaults.put("WARDEN_MIGRATIONS", BOOT_MIGRATIONS);
        }
        String appName = env.getProperty("spring.application.name");
        if (appName != null && appName.length() <= 63 && appName.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            putIfSet(defaults, "WARDEN_APP_NAME", appName);
        }
        return WardenConfig.builder().environment(values).defaults(defaults).build();
    }

    private static void putIfSet(Map<String, String> map, String key, String value) {
        if (value != null && !value.isBlank()) {
            map.put(key, value);
        }
    }
}
