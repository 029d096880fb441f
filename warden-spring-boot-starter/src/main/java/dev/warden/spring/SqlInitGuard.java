package dev.warden.spring;

import java.util.Locale;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.env.Environment;

/**
 * Stops the start at once when {@code spring.sql.init.mode=always}: Spring Boot would run
 * {@code schema.sql}/{@code data.sql} in every replica while the context is built, before Warden's
 * exactly-once initialisation (and block on the readiness gate meanwhile). Runs before any bean is made.
 */
final class SqlInitGuard implements BeanFactoryPostProcessor {

    private final Environment environment;

    SqlInitGuard(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) throws BeansException {
        String mode = environment.getProperty("spring.sql.init.mode", "never").trim().toLowerCase(Locale.ROOT);
        if (mode.equals("always")) {
            throw new IllegalStateException("spring.sql.init.mode=always would run schema.sql and data.sql in every"
                    + " replica while the context is built, before Warden's exactly-once initialisation. Move the"
                    + " scripts to Flyway migrations (e.g. src/main/resources/db/migration/V1__schema.sql and"
                    + " V2__data.sql; Warden runs them once per epoch across all replicas) or load the data in a"
                    + " Seeder bean, and remove spring.sql.init.mode (or set it to never). See docs/spring.md,"
                    + " \"spring.sql.init\".");
        }
    }
}
