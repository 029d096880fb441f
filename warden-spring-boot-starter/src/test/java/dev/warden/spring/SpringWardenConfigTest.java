package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.ConfigException;
import dev.warden.WardenConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

/** warden.* properties are the WARDEN_* variables: same names, defaults and validation. */
class SpringWardenConfigTest {

    @Test
    void everyVariableIsAPropertyWithTheSameDefaults() {
        WardenConfig fromSpring = SpringWardenConfig.from(new MockEnvironment());
        // The one difference: this test classpath has db/migration, Spring Boot's default location.
        WardenConfig fromVariables = WardenConfig.builder().environment(java.util.Map.of())
                .migrations("classpath:db/migration").build();
        assertThat(fromSpring.toString()).isEqualTo(fromVariables.toString());
        assertThat(fromSpring.embedded()).as("neither warden.db.url nor spring.datasource.url: embedded").isTrue();
        assertThat(SpringWardenConfig.property("WARDEN_POOL_MAX_SIZE")).isEqualTo("warden.pool.max.size");
    }

    @Test
    void propertiesAreReadAndValidatedWithTheVariablesMessages() {
        WardenConfig c = SpringWardenConfig.from(new MockEnvironment()
                .withProperty("warden.pool.max.size", "3").withProperty("warden.ready.wait", "250ms"));
        assertThat(c.poolMaxSize()).isEqualTo(3);
        assertThat(c.readyWait()).isEqualTo(Duration.ofMillis(250));
        assertThatThrownBy(() -> SpringWardenConfig.from(new MockEnvironment()
                .withProperty("warden.pool.max.size", "0").withProperty("warden.db.url", "mysql://x")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_POOL_MAX_SIZE must be an integer from 1 to 1000, got \"0\"")
                .hasMessageContaining("WARDEN_DB_URL must be a JDBC URL starting with jdbc:postgresql://, got \"mysql://x\"");
    }

    @Test
    void springDatasourceIsUsedWhenWardenDbUrlIsUnset() {
        MockEnvironment env = new MockEnvironment()
                .withProperty("spring.datasource.url", "jdbc:postgresql://db:5432/app")
                .withProperty("spring.datasource.username", "app")
                .withProperty("spring.datasource.password", "s3cret");
        WardenConfig c = SpringWardenConfig.from(env);
        assertThat(c.dbUrl()).contains("jdbc:postgresql://db:5432/app");
        assertThat(c.dbUser()).isEqualTo("app");
        assertThat(c.dbPassword().reveal()).isEqualTo("s3cret");
        assertThat(c.toString()).doesNotContain("s3cret");

        WardenConfig own = SpringWardenConfig.from(env.withProperty("warden.db.url", "jdbc:postgresql://other/app"));
        assertThat(own.dbUrl()).contains("jdbc:postgresql://other/app");
        assertThat(own.dbUser()).as("spring.datasource.* belongs to spring.datasource.url only").isEqualTo("postgres");
    }

    @Test
    void migrationsComeFromSpringFlywayLocationsUnlessWardenMigrationsIsSet() {
        MockEnvironment env = new MockEnvironment().withProperty("spring.flyway.locations", "classpath:db/app,classpath:db/more");
        assertThat(SpringWardenConfig.from(env).init().migrations()).isEqualTo(List.of("classpath:db/app", "classpath:db/more"));
        env.withProperty("warden.migrations", "filesystem:/sql");
        assertThat(SpringWardenConfig.from(env).init().migrations()).isEqualTo(List.of("filesystem:/sql"));
    }

    @Test
    void applicationNameDefaultsToSpringApplicationName() {
        assertThat(SpringWardenConfig.from(new MockEnvironment().withProperty("spring.application.name", "shop"))
                .applicationName()).isEqualTo("shop");
    }
}
