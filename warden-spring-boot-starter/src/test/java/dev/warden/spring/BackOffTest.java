package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.NotReadyException;
import dev.warden.State;
import dev.warden.Warden;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.PlatformTransactionManager;

/** The application's own beans win; warden.enabled=false turns the starter off. */
class BackOffTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WardenAutoConfiguration.class, DataSourceAutoConfiguration.class,
                    DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class))
            // Nothing listens there: Warden keeps trying in the background until the context closes.
            .withPropertyValues("warden.db.url=jdbc:postgresql://127.0.0.1:9/none", "warden.startup.timeout=1s");

    @Test
    void wardenProvidesDataSourceAndTransactionManager() {
        runner.run(ctx -> {
            assertThat(ctx).hasSingleBean(Warden.class);
            assertThat(ctx.getBean(DataSource.class)).isInstanceOf(WardenDataSource.class);
            assertThat(ctx.getBean(PlatformTransactionManager.class)).isInstanceOf(WardenTransactionManager.class);
            assertThat(ctx).hasSingleBean(WardenRetryTemplate.class);
        });
    }

    @Test
    void aWardenThatCannotStartLeavesTheContextRunningWithReadinessAndHealthDown() {
        runner.run(ctx -> {
            Warden warden = ctx.getBean(Warden.class);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> warden.state() == State.FAILED);
            assertThat(ctx.isRunning()).isTrue();
            assertThat(ctx.getBean(ApplicationAvailability.class)
                    .getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
            var health = ctx.getBean(WardenHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails().get("report").toString()).contains("Could not reach the database");
        });
    }

    @Test
    void userDataSourceAndTransactionManagerWin() {
        DataSource own = new SimpleDriverDataSource();
        runner.withBean("myDataSource", DataSource.class, () -> own)
                .withBean("myTx", PlatformTransactionManager.class, () -> new DataSourceTransactionManager(own))
                .run(ctx -> {
                    assertThat(ctx.getBean(DataSource.class)).isSameAs(own);
                    assertThat(ctx.getBean(PlatformTransactionManager.class)).isInstanceOf(DataSourceTransactionManager.class)
                            .isNotInstanceOf(WardenTransactionManager.class);
                });
    }

    /** Touches the database while the context is still being built. */
    static class TouchesDatabaseInPostConstruct {
        private final DataSource dataSource;

        TouchesDatabaseInPostConstruct(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        @jakarta.annotation.PostConstruct
        void load() throws java.sql.SQLException {
            try (var c = dataSource.getConnection()) {
                c.isValid(1);
            }
        }
    }

    @Test
    void databaseAccessInPostConstructWaitsOnTheGateThenFailsTheContext() {
        runner.withPropertyValues("warden.ready.wait=200ms")
                .withBean(TouchesDatabaseInPostConstruct.class)
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(NotReadyException.class)
                            .hasMessageContaining("STARTING");
                });
    }

    @Test
    void wardenEnabledFalseTurnsItOff() {
        runner.withPropertyValues("warden.enabled=false", "spring.datasource.url=jdbc:postgresql://127.0.0.1:9/none")
                .run(ctx -> {
                    assertThat(ctx).doesNotHaveBean(Warden.class);
                    assertThat(ctx.getBean(DataSource.class)).isNotInstanceOf(WardenDataSource.class);
                });
    }
}
