package dev.warden.spring;

import java.util.Set;
import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Warden's auto-configuration runs only when the application leaves the database to it: not when
 * {@code DataSourceAutoConfiguration} is excluded ({@code @SpringBootApplication(exclude = …)},
 * {@code spring.autoconfigure.exclude}, a test slice's exclusions), and not when the application
 * chose another database ({@link WardenDatabaseChoice}). The reason is in the conditions report
 * ({@code --debug}).
 */
final class WardenCondition extends SpringBootCondition {

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
        return choice.active() ? ConditionOutcome.match(choice.reason()) : ConditionOutcome.noMatch(choice.reason());
    }
}
