package dev.warden.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Defaults that make Spring Boot leave the database to Warden, each overridable by the application
 * (they have the lowest precedence):
 * <ul>
 *   <li>{@code spring.flyway.enabled=false}: Warden runs the migrations, once per epoch across all
 *       replicas, instead of Spring Boot's Flyway run in every replica at start-up;</li>
 *   <li>{@code spring.sql.init.mode=never}: no {@code schema.sql} run at start-up, before Warden is READY;</li>
 *   <li>{@code spring.jpa.hibernate.ddl-auto=none}: Hibernate changes no schema (migrations do), and
 *       Spring Boot does not open a connection to choose a default;</li>
 *   <li>{@code management.health.db.enabled=false}: the {@code warden} indicator covers the database
 *       without waiting on a connection;</li>
 *   <li>{@code management.endpoint.health.probes.enabled=true}: {@code /actuator/health/liveness} and
 *       {@code /readiness} exist outside Kubernetes too.</li>
 * </ul>
 * Nothing is set when {@code warden.enabled=false}.
 */
public final class WardenEnvironmentPostProcessor implements EnvironmentPostProcessor {

    static final String SOURCE = "wardenDefaults";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if ("false".equalsIgnoreCase(environment.getProperty("warden.enabled", "true").trim())) {
            return;
        }
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("spring.flyway.enabled", "false");
        defaults.put("spring.sql.init.mode", "never");
        // Spring Boot's default for ddl-auto asks the DataSource whether it is embedded: a connection,
        // and so a wait on Warden's readiness gate, while the context is built. Warden runs migrations.
        defaults.put("spring.jpa.hibernate.ddl-auto", "none");
        defaults.put("management.health.db.enabled", "false");
        defaults.put("management.endpoint.health.probes.enabled", "true");
        environment.getPropertySources().addLast(new MapPropertySource(SOURCE, defaults));
    }
}
