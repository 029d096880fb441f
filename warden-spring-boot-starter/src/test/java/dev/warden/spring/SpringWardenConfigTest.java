package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.ConfigException;
import dev.warden.WardenConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.mock.env.MockEnvironment;

/** warden.* properties are the WARDEN_* variables: same names, defaults and validation. */
class SpringWardenConfigTest {

    @Test
    void everyVariableIsAPropertyWithTheSameDefaults() {
        WardenConfig fromSpring = SpringWardenConfig.from(new MockEnvironment());
        // The one difference: this test classpath has db/migration, Spring Boot's default location.
        WardenConfig fromVariables = WardenConfig.builder().environment(Map.of())
                .migrations("classpath:db/migration").build();
        assertThat(fromSpring.toString()).isEqualTo(fromVariables.toString());
        assertThat(fromSpring.embedded()).as("neither warden.db.url nor spring.datasource.url: embedded").isTrue();
        assertThat(SpringWardenConfig.property("WARDEN_POOL_MAX_SIZE")).isEqualTo("warden.pool.max-size");
    }

    @Test
    void springNamesAreDerivedFromTheOptionTable() {
        assertThat(SpringWardenConfig.properties().keySet()).containsExactlyElementsOf(WardenConfig.variables().keySet());
        assertThat(SpringWardenConfig.properties()).containsEntry("WARDEN_DB_URL", "warden.db.url")
                .containsEntry("WARDEN_DB_CONNECT_TIMEOUT", "warden.db.connect-timeout")
                .containsEntry("WARDEN_READY_WAIT", "warden.ready-wait")
                .containsEntry("WARDEN_SCHEMAS", "warden.schemas")
                .containsEntry("WARDEN_SCHEMA", "warden.schema")
                .containsEntry("WARDEN_INIT_LEASE_TTL", "warden.init.lease-ttl")
                .containsEntry("WARDEN_TX_VERIFY_COMMIT", "warden.tx.verify-commit");
        assertThat(SpringWardenConfig.properties().values()).doesNotHaveDuplicates()
                .allMatch(p -> p.matches("warden\\.[a-z0-9-]+(\\.[a-z0-9-]+)?"));
    }

    /** The same bad value through every spelling Spring allows: the same problem, naming the canonical property. */
    @Test
    void kebabCamelLegacyAndVariableSpellingsAreValidatedAlike() {
        String problem = "warden.pool.max-size must be an integer from 1 to 1000, got \"0\"";
        for (String name : List.of("warden.pool.max-size", "warden.pool.maxSize", "warden.pool.max.size")) {
            assertThatThrownBy(() -> SpringWardenConfig.from(new MockEnvironment().withProperty(name, "0")))
                    .as(name).isInstanceOf(ConfigException.class)
                    .satisfies(e -> assertThat(((ConfigException) e).problems()).singleElement(
                            org.assertj.core.api.InstanceOfAssertFactories.STRING).startsWith(
                                    name.equals("warden.pool.max.size") ? problem.replace("max-size", "max.size") : problem)
                            .contains("property source \"mockProperties\""));
        }
        MockEnvironment env = new MockEnvironment();
        env.getPropertySources().addFirst(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of("WARDEN_POOL_MAX_SIZE", "0")));
        assertThatThrownBy(() -> SpringWardenConfig.from(env)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(problem).hasMessageContaining("WARDEN_POOL_MAX_SIZE");
        assertThat(SpringWardenConfig.from(new MockEnvironment().withProperty("warden.pool.max-size", "7")
                .withProperty("warden.init.lease-ttl", "20s").withProperty("warden.readyWait", "250ms"))
                .pool().maxSize()).isEqualTo(7);
        assertThat(SpringWardenConfig.from(new MockEnvironment().withProperty("warden.readyWait", "250ms")).service().readyWait())
                .isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void aBadKebabCaseValueStopsTheStart() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(WardenAutoConfiguration.class))
                .withPropertyValues("spring.datasource.url=jdbc:postgresql://127.0.0.1:9/none", "warden.pool.max-size=0")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause().isInstanceOf(ConfigException.class)
                            .hasMessageContaining("warden.pool.max-size must be an integer from 1 to 1000, got \"0\"");
                });
    }

    @Test
    void aListWrittenWithIndexesIsAList() {
        WardenConfig c = SpringWardenConfig.from(new MockEnvironment()
                .withProperty("warden.schemas[0]", "shop").withProperty("warden.schemas[1]", "audit"));
        assertThat(c.schemas().application()).containsExactly("shop", "audit");
    }

    @Test
    void propertiesAreReadAndValidatedWithTheVariablesMessages() {
        WardenConfig c = SpringWardenConfig.from(new MockEnvironment()
                .withProperty("warden.pool.max.size", "3").withProperty("warden.ready.wait", "250ms"));
        assertThat(c.pool().maxSize()).isEqualTo(3);
        assertThat(c.service().readyWait()).isEqualTo(Duration.ofMillis(250));
        assertThatThrownBy(() -> SpringWardenConfig.from(new MockEnvironment()
                .withProperty("warden.pool.max.size", "0").withProperty("warden.db.url", "mysql://x")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("warden.pool.max.size must be an integer from 1 to 1000, got \"0\"")
                .hasMessageContaining("warden.db.url must be a JDBC URL starting with jdbc:postgresql://, got \"mysql://x\"");
    }

    @Test
    void springDatasourceIsUsedWhenWardenDbUrlIsUnset() {
        MockEnvironment env = new MockEnvironment()
                .withProperty("spring.datasource.url", "jdbc:postgresql://db:5432/app")
                .withProperty("spring.datasource.username", "app")
                .withProperty("spring.datasource.password", "s3cret");
        WardenConfig c = SpringWardenConfig.from(env);
        assertThat(c.database().url()).contains("jdbc:postgresql://db:5432/app");
        assertThat(c.database().user()).isEqualTo("app");
        assertThat(c.database().password().reveal()).isEqualTo("s3cret");
        assertThat(c.toString()).doesNotContain("s3cret");

        WardenConfig own = SpringWardenConfig.from(env.withProperty("warden.db.url", "jdbc:postgresql://other/app"));
        assertThat(own.database().url()).contains("jdbc:postgresql://other/app");
        assertThat(own.database().user()).as("spring.datasource.* belongs to spring.datasource.url only").isEqualTo("postgres");
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
                .service().applicationName()).isEqualTo("shop");
    }
}
