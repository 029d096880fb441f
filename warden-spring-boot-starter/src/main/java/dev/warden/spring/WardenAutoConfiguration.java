package dev.warden.spring;

import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.internal.WardenInternals;
import dev.warden.spi.Seeder;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.aop.Advisor;
import org.springframework.aop.support.ComposablePointcut;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.core.Ordered;
import org.springframework.core.PriorityOrdered;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.transaction.TransactionManager;
import org.springframework.transaction.annotation.AnnotationTransactionAttributeSource;
import org.springframework.transaction.interceptor.RollbackRuleAttribute;
import org.springframework.transaction.interceptor.TransactionAttributeSource;

/**
 * Warden for a Spring Boot application: built from {@code warden.*} (and {@code spring.datasource.*},
 * {@code spring.flyway.locations}), started in the background with the context, and in place of
 * Spring Boot's own DataSource, transaction manager and Flyway run. Every bean backs off when the
 * application defines its own of the same type; {@code warden.enabled=false} turns it all off.
 */
@AutoConfiguration(beforeName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
        "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration",
        "org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration",
        "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"})
@ConditionalOnBooleanProperty(name = "warden.enabled", matchIfMissing = true)
@Conditional(WardenCondition.class)
public class WardenAutoConfiguration {

    /** Warden's configuration from the environment; see {@link SpringWardenConfig}. */
    @Bean
    @ConditionalOnMissingBean
    public WardenConfig wardenConfig(Environment environment, ResourceLoader loader) {
        WardenConfig config = SpringWardenConfig.from(environment);
        WardenDatabaseChoice.requireEmbedded(config, loader.getClassLoader());
        return config;
    }

    /**
     * Warden, not started yet ({@link WardenStarter} starts it with the context). Its meters go to
     * the application's {@link MeterRegistry} when there is one; every {@link Seeder} bean is a
     * seeder, its bean name its version.
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public Warden warden(WardenConfig config, ObjectProvider<MeterRegistry> registry, ListableBeanFactory beans) {
        Warden.Builder b = Warden.builder().config(config);
        registry.ifUnique(b::meterRegistry);
        for (Map.Entry<String, Seeder> s : beans.getBeansOfType(Seeder.class).entrySet()) {
            b.seeder(s.getKey(), s.getValue());
        }
        return b.build();
    }

    @Bean
    WardenStarter wardenStarter(Warden warden, ApplicationEventPublisher events) {
        return new WardenStarter(warden, events);
    }

    /** The application's DataSource: Warden's pool behind its readiness gate. */
    @Bean
    @ConditionalOnMissingBean(DataSource.class)
    public WardenDataSource dataSource(Warden warden) {
        return new WardenDataSource(warden);
    }

    /** Spring's JDBC transaction manager with Warden's guarantees, on the application's DataSource. */
    @Bean
    @ConditionalOnMissingBean(TransactionManager.class)
    public WardenTransactionManager transactionManager(DataSource dataSource) {
        return new WardenTransactionManager(dataSource);
    }

    /** Runs whole units of work again on transient failures, with {@code warden.retry.*}. */
    @Bean
    @ConditionalOnMissingBean
    public WardenRetryTemplate wardenRetryTemplate(WardenConfig config, ObjectProvider<Warden> warden) {
        Warden w = warden.getIfUnique();
        return new WardenRetryTemplate(config.tx().retry(), w == null ? null : WardenInternals.counters(w));
    }

    /** Readiness tied to Warden's state (liveness untouched). */
    @Bean
    @ConditionalOnMissingBean(ApplicationAvailability.class)
    public WardenAvailability applicationAvailability(Warden warden) {
        return new WardenAvailability(warden);
    }

    /** {@code spring.sql.init.mode=always} stops the start at once (see {@link SqlInitGuard}). */
    @Bean
    static BeanFactoryPostProcessor wardenSqlInitGuard(Environment environment) {
        return new SqlInitGuard(environment);
    }

    /** {@code @Transactional} rolls back on any throwable, checked exceptions included, unless it says otherwise. */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static BeanPostProcessor wardenRollbackOnAnyThrowable() {
        return new RollbackOnAnyThrowable();
    }

    /** {@link WardenRetry} methods, run outside (before) the transaction interceptor. */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static Advisor wardenRetryAdvisor(ObjectProvider<WardenConfig> config, ObjectProvider<Warden> warden) {
        ComposablePointcut pointcut = new ComposablePointcut(new AnnotationMatchingPointcut(WardenRetry.class, true))
                .union(new AnnotationMatchingPointcut(null, WardenRetry.class, true));
        DefaultPointcutAdvisor advisor = new DefaultPointcutAdvisor(pointcut,
                new WardenRetryInterceptor(() -> config.getObject().tx().retry(), () -> {
                    Warden w = warden.getIfUnique();
                    return w == null ? null : WardenInternals.counters(w);
                }));
        advisor.setOrder(Ordered.LOWEST_PRECEDENCE - 1);
        return advisor;
    }

    /** The {@code warden} health contributor, when Actuator's health support is present. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class HealthConfiguration {
        @Bean
        @ConditionalOnMissingBean(name = "wardenHealthIndicator")
        WardenHealthIndicator wardenHealthIndicator(Warden warden) {
            return new WardenHealthIndicator(warden);
        }
    }

    /**
     * Adds the rule Spring Framework 6.2's {@code @EnableTransactionManagement(rollbackOn = ALL_EXCEPTIONS)}
     * adds, to the attribute source Spring Boot's {@code @EnableTransactionManagement} made: before any
     * application bean is proxied (the source is infrastructure and may exist already), or when it is made.
     */
    static final class RollbackOnAnyThrowable implements BeanPostProcessor, PriorityOrdered, BeanFactoryAware {
        @Override
        public void setBeanFactory(BeanFactory beanFactory) {
            if (beanFactory instanceof ListableBeanFactory beans) {
                for (String name : beans.getBeanNamesForType(TransactionAttributeSource.class, false, false)) {
                    if (beans.getBean(name) instanceof AnnotationTransactionAttributeSource source) {
                        source.addDefaultRollbackRule(RollbackRuleAttribute.ROLLBACK_ON_ALL_EXCEPTIONS);
                    }
                }
            }
        }

        @Override
        public Object postProcessBeforeInitialization(Object bean, String beanName) throws BeansException {
            if (bean instanceof AnnotationTransactionAttributeSource source) {
                source.addDefaultRollbackRule(RollbackRuleAttribute.ROLLBACK_ON_ALL_EXCEPTIONS);
            }
            return bean;
        }

        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE;
        }
    }
}
