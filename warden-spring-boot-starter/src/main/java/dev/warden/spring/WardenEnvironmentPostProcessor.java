package dev.warden.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;

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
 *       {@code /readiness} exist outside Kubernetes too;</li>
 *   <li>{@code spring.test.database.replace=none}: test slices ({@code @JdbcTest}, {@code @DataJpaTest})
 *       keep Warden's DataSource instead of swapping in an embedded H2, so tests run the production
 *       stack; {@code @AutoConfigureTestDatabase(replace = …)} on a test still decides for it.</li>
 * </ul>
 * None applies when {@code warden.enabled=false}, nor when Warden steps aside because the
 * application chose another database ({@link WardenDatabaseChoice}): that is decided when a default
 * is read, so that properties added after this post-processor ran (a test's
 * {@code @DynamicPropertySource}) count ({@link WardenDefaults}).
 */
public final class WardenEnvironmentPostProcessor implements EnvironmentPostProcessor {

    static final String SOURCE = "wardenDefaults";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("spring.flyway.enabled", "false");
        defaults.put("spring.sql.init.mode", "never");
        // Spring Boot's default for ddl-auto asks the DataSource whether it is embedded: a connection,
        // and so a wait on Warden's readiness gate, while the context is built. Warden runs migrations.
        defaults.put("spring.jpa.hibernate.ddl-auto", "none");
        defaults.put("management.health.db.enabled", "false");
        defaults.put("management.endpoint.health.probes.enabled", "true");
        defaults.put("spring.test.database.replace", "none");
        environment.getPropertySources().addLast(new WardenDefaults(SOURCE, defaults, environment,
                application.getClassLoader()));
    }
}
