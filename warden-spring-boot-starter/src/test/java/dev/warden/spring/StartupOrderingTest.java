package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.warden.NotReadyException;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.spi.Seeder;
import dev.warden.testing.ThrowawayDatabase;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The context is up while Warden initialises; nothing reaches the database before READY (it waits on
 * the readiness gate, then gets NotReadyException); readiness follows Warden, liveness does not.
 */
class StartupOrderingTest {

    static final CountDownLatch release = new CountDownLatch(1);

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class App {
        @Bean("slow-seed-1")
        Seeder slowSeed() {
            return ctx -> {
                ctx.progress("seeding, slowly");
                if (!release.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            };
        }
    }

    @Test
    void contextServesWhileWardenInitialisesAndDatabaseWorkWaitsForReady() {
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-starter-test", Map.of("fsync", "off"));
             ConfigurableApplicationContext ctx = new SpringApplicationBuilder(App.class)
                     .web(WebApplicationType.NONE)
                     .properties("spring.datasource.url=" + db.jdbcUrl(), "warden.ready.wait=300ms",
                             "warden.schemas=starter_test")
                     .run()) {
            Warden warden = ctx.getBean(Warden.class);
            assertThat(ctx.getBean(DataSource.class)).isInstanceOf(WardenDataSource.class);
            assertThat(ctx.getBean(PlatformTransactionManager.class)).as("Hibernate is on this classpath: JPA's when an EntityManagerFactory exists")
                    .isInstanceOfAny(WardenTransactionManager.class, WardenJpaTransactionManager.class);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> warden.state() == State.INITIALIZING && warden.health().progress().contains("slowly"));
            ApplicationAvailability availability = ctx.getBean(ApplicationAvailability.class);
            assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
            assertThat(availability.getLivenessState()).isEqualTo(LivenessState.CORRECT);
            WardenHealthIndicator health = ctx.getBean(WardenHealthIndicator.class);
            assertThat(health.health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
            assertThat(health.health().getDetails().get("progress").toString()).contains("slowly");

            JdbcClient jdbc = ctx.getBean(JdbcClient.class);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> jdbc.sql("select 1").query(Integer.class).single())
                    .isInstanceOf(NotReadyException.class).hasMessageContaining("INITIALIZING");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("waited on the gate first")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(250));
            TransactionTemplate tx = new TransactionTemplate(ctx.getBean(PlatformTransactionManager.class));
            assertThatThrownBy(() -> tx.execute(s -> jdbc.sql("select 1").query(Integer.class).single()))
                    .as("a transaction gets Warden's exception, not a wrapped one")
                    .isInstanceOf(NotReadyException.class);

            release.countDown();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC);
            Integer one = tx.execute(s -> jdbc.sql("select 1").query(Integer.class).single());
            assertThat(one).isEqualTo(1);
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        } finally {
            release.countDown();
        }
    }
}
