package dev.warden.spring;

import dev.warden.Warden;
import java.time.Duration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * In a Spring MVC application, Warden's refusals ({@code NotReadyException} before READY,
 * {@code DatabaseUnavailableException} while the database is down) become 503 Service Unavailable
 * with {@code Retry-After} instead of a 500 and a stack trace per request; the application's own
 * {@code @ExceptionHandler}s still come first. {@code warden.mvc.unavailable.enabled=false} turns it
 * off; {@code warden.mvc.unavailable.retry-after} (default 1s) is the header.
 */
@AutoConfiguration(after = WardenAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = "org.springframework.web.servlet.HandlerExceptionResolver")
@ConditionalOnBean(Warden.class)
@ConditionalOnBooleanProperty(name = WardenWebMvcConfiguration.ENABLED, matchIfMissing = true)
public class WardenWebMvcConfiguration {

    static final String ENABLED = "warden.mvc.unavailable.enabled";
    static final String RETRY_AFTER = "warden.mvc.unavailable.retry-after";

    /** The resolver that answers 503. */
    @Bean
    WardenUnavailableResolver wardenUnavailableResolver(Warden warden, Environment environment) {
        Duration retryAfter = Binder.get(environment).bind(RETRY_AFTER, Duration.class).orElse(Duration.ofSeconds(1));
        return new WardenUnavailableResolver(warden, retryAfter);
    }
}
