package dev.warden.spring;

import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Warden's auto-configuration runs only when the application leaves the database to it: not when
 * {@code DataSourceAutoConfiguration} is excluded ({@code @SpringBootApplication(exclude = …)},
 * {@code spring.autoconfigure.exclude}, a test slice's exclusions), and not when the application
 * chose another database ({@link WardenDatabaseChoice}; said in one WARN line). The reason is in the
 * conditions report ({@code --debug}).
 */
final class WardenCondition extends SpringBootCondition {

    private static final Logger log = LoggerFactory.getLogger(WardenCondition.class);
    private static final String SAID = "dev.warden.spring.wardenOffSaid";

    static final String DATA_SOURCE_AUTO_CONFIGURATION = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration";

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        if (context.getBeanFactory() != null) {
            Set<String> excluded = ConditionEvaluationReport.get(context.getBeanFactory()).getExclusions().stream()
                    .collect(java.util.stream.Collectors.toSet());
            if (excluded.contains(DATA_SOURCE_AUTO_CONFIGURATION)) {
                return ConditionOutcome.noMatch("Warden adds no DataSource: the application excluded "
                        + DATA_SOURCE_AUTO_CONFIGURATION);
            }
        }
        WardenDatabaseChoice choice = WardenDatabaseChoice.of(context.getEnvironment(), context.getClassLoader());
        if (choice.active()) {
            return ConditionOutcome.match(choice.reason());
        }
        ConfigurableListableBeanFactory beans = context.getBeanFactory();
        if (beans != null && !beans.containsSingleton(SAID)) {
            beans.registerSingleton(SAID, Boolean.TRUE); // conditions may be evaluated more than once: say it once
            log.warn("Warden is off: {}", choice.reason());
        }
        return ConditionOutcome.noMatch(choice.reason());
    }
}
