package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.warden.Warden;
import dev.warden.testing.ThrowawayDatabase;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.annotation.Transactional;

/**
 * A new application with the starter and a datasource URL, nothing else (its migration in
 * {@code db/migration}, Spring Boot's Flyway module on the classpath): exactly-once migration by
 * Warden, readiness, and safe transactions.
 */
class MinimalApplicationTest {

    /** Application code: plain Spring. */
    static class Notes {
        private final JdbcClient jdbc;

        Notes(JdbcClient jdbc) {
            this.jdbc = jdbc;
        }

        @Transactional
        public void addThenFail(long id) throws Exception {
            jdbc.sql("insert into note values (?, 'x' || ?)").params(id, id).update();
            throw new Exception("checked");
        }

        @Transactional
        public void addSwallowingDuplicate(long id, String body) {
            jdbc.sql("insert into note values (?, 'first' || ?)").params(id, id).update();
            try {
                jdbc.sql("insert into note values (?, ?)").params(id + 1, body).update();
            } catch (DataAccessException ignored) {
                // the mistake: the transaction is aborted on the server now
            }
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        Notes notes(JdbcClient jdbc) {
            return new Notes(jdbc);
        }
    }

    @Test
    void starterAndDatasourceUrlAreEnough() {
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-starter-minimal", Map.of("fsync", "off"));
             ConfigurableApplicationContext ctx = new SpringApplicationBuilder(App.class)
                     .web(WebApplicationType.NONE)
                     .properties("spring.datasource.url=" + db.jdbcUrl())
                     .run()) {
            Warden warden = ctx.getBean(Warden.class);
            assertThat(warden.awaitReady(Duration.ofSeconds(60))).isTrue();
            assertThat(warden.initStatus()).hasValueSatisfying(s -> assertThat(s.initializedHere()).isTrue());
            assertThat(warden.config().init().migrations()).containsExactly("classpath:db/migration");
            assertThat(ctx.getBeanNamesForType(org.springframework.boot.flyway.autoconfigure.FlywayMigrationInitializer.class))
                    .as("Spring Boot's own Flyway run is off").isEmpty();
            ApplicationAvailability availability = ctx.getBean(ApplicationAvailability.class);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC);

            JdbcClient jdbc = ctx.getBean(JdbcClient.class);
            Notes notes = ctx.getBean(Notes.class);
            assertThatThrownBy(() -> notes.addThenFail(1)).hasMessage("checked");
            jdbc.sql("insert into note values (10, 'taken')").update();
            assertThatThrownBy(() -> notes.addSwallowingDuplicate(20, "taken"))
                    .isInstanceOf(TransactionAbortedException.class);
            assertThat(jdbc.sql("select count(*) from note").query(Long.class).single())
                    .as("only the row written outside a transaction").isEqualTo(1);
        }
    }
}
