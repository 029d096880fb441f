package dev.warden.spring;

import jakarta.persistence.EntityManagerFactory;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.hibernate.autoconfigure.HibernatePropertiesCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionManager;

/**
 * Warden for Spring Data JPA and Hibernate: {@code @Transactional} runs on
 * {@link WardenJpaTransactionManager} when an {@link EntityManagerFactory} exists (a JDBC-only
 * manager would never flush the EntityManager, and every JPA write would be lost), and Hibernate
 * learns its dialect without a connection, so that it never waits on Warden's readiness gate while
 * the context is built.
 */
@AutoConfiguration(before = WardenAutoConfiguration.class, beforeName = {
        "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
        "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration"})
@ConditionalOnBooleanProperty(name = "warden.enabled", matchIfMissing = true)
@Conditional(WardenCondition.class)
@ConditionalOnClass(name = {"jakarta.persistence.EntityManagerFactory",
        "org.springframework.orm.jpa.JpaTransactionManager",
        "org.springframework.boot.hibernate.autoconfigure.HibernatePropertiesCustomizer"})
public class WardenJpaConfiguration {

    private static final Logger log = LoggerFactory.getLogger(WardenJpaConfiguration.class);

    /** The PostgreSQL version Hibernate assumes when it may not ask the server: the oldest Hibernate 7 supports. */
    static final String ASSUMED_MAJOR_VERSION = "14";

    /**
     * The application's transaction manager: Warden's JPA manager when JPA is in use (an
     * EntityManagerFactory exists), else Warden's JDBC manager. Chosen when it is made, since the
     * EntityManagerFactory is defined after this configuration.
     */
    @Bean
    @ConditionalOnMissingBean(TransactionManager.class)
    public PlatformTransactionManager transactionManager(ObjectProvider<EntityManagerFactory> emf,
                                                         ObjectProvider<DataSource> dataSource) {
        EntityManagerFactory factory = emf.getIfUnique();
        if (factory != null) {
            return new WardenJpaTransactionManager(factory);
        }
        return new WardenTransactionManager(dataSource.getObject());
    }

    /**
     * Hibernate's dialect without a connection at start-up: PostgreSQL, version {@value #ASSUMED_MAJOR_VERSION}
     * or later, unless the application names a dialect or a database platform itself.
     */
    @Bean
    public HibernatePropertiesCustomizer wardenHibernateDialectHints(Environment environment) {
        return properties -> {
            if (setByApplication(environment, properties)) {
                return;
            }
            properties.putIfAbsent("hibernate.boot.allow_jdbc_metadata_access", "false");
            properties.putIfAbsent("jakarta.persistence.database-product-name", "PostgreSQL");
            properties.putIfAbsent("jakarta.persistence.database-major-version", ASSUMED_MAJOR_VERSION);
            log.debug("Hibernate's dialect: PostgreSQL {}+, without a connection at start-up", ASSUMED_MAJOR_VERSION);
        };
    }

    private static boolean setByApplication(Environment environment, Map<String, Object> properties) {
        return properties.containsKey("hibernate.dialect") || properties.containsKey("jakarta.persistence.database-product-name")
                || environment.containsProperty("spring.jpa.database-platform")
                || environment.containsProperty("spring.jpa.properties.hibernate.dialect");
    }
}
