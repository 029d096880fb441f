package dev.warden.spring;

import java.util.Map;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;

/**
 * The starter's defaults for Spring Boot's own settings, at the lowest precedence, in force only while
 * Warden takes the database ({@code warden.enabled} not false and {@link WardenDatabaseChoice} active),
 * decided at each read: so a URL a test adds late ({@code @DynamicPropertySource}) counts, and an
 * application Warden steps aside for keeps Spring Boot's defaults untouched.
 */
final class WardenDefaults extends PropertySource<Map<String, Object>> {

    private final Environment environment;
    private final ClassLoader loader;

    WardenDefaults(String name, Map<String, Object> defaults, Environment environment, ClassLoader loader) {
        super(name, Map.copyOf(defaults));
        this.environment = environment;
        this.loader = loader;
    }

    @Override
    public Object getProperty(String name) {
        Object value = getSource().get(name);
        if (value == null || "false".equalsIgnoreCase(environment.getProperty("warden.enabled", "true").trim())) {
            return null;
        }
        return WardenDatabaseChoice.of(environment, loader).active() ? value : null;
    }
}
