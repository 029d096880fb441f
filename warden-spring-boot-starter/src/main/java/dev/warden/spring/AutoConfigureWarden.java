package dev.warden.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;

/**
 * Adds Warden to a test slice that does not include it already, so the test runs on the production
 * stack: Warden's DataSource (its readiness gate, its exactly-once initialisation) and transaction
 * manager (Warden's JPA manager when the slice has an EntityManagerFactory). {@code @JdbcTest}, {@code @DataJdbcTest} and {@code @DataJpaTest} include Warden without
 * it; Warden also keeps those slices from swapping its DataSource for an embedded H2
 * ({@code spring.test.database.replace=none} by default while Warden is on).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ImportAutoConfiguration({WardenAutoConfiguration.class, WardenJpaConfiguration.class, WardenWebMvcConfiguration.class})
public @interface AutoConfigureWarden {
}
