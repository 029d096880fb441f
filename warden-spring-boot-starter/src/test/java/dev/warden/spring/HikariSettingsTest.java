package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.ConfigException;
import dev.warden.WardenConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

/** spring.datasource.hikari.* is honoured where Warden's pool has the setting, refused by name elsewhere. */
class HikariSettingsTest {

    @Test
    void settingsWardensPoolHasAreHonoured() {
        WardenConfig c = SpringWardenConfig.from(new MockEnvironment()
                .withProperty("spring.datasource.hikari.maximum-pool-size", "12")
                .withProperty("spring.datasource.hikari.minimumIdle", "12")
                .withProperty("spring.datasource.hikari.connection-timeout", "2500")
                .withProperty("spring.datasource.hikari.read-only", "true"));
        assertThat(c.pool().maxSize()).isEqualTo(12);
        assertThat(c.pool().acquireTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(c.pool().readOnly()).isTrue();
    }

    @Test
    void aBadHonouredValueGetsWardensRuleNamingTheHikariProperty() {
        assertThatThrownBy(() -> SpringWardenConfig.from(new MockEnvironment()
                .withProperty("spring.datasource.hikari.maximum-pool-size", "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("spring.datasource.hikari.maximum-pool-size must be an integer from 1 to 1000, got \"0\"");
    }

    @Test
    void everyOtherSettingIsRefusedByName() {
        assertThatThrownBy(() -> SpringWardenConfig.from(new MockEnvironment()
                .withProperty("spring.datasource.hikari.idle-timeout", "10000")
                .withProperty("spring.datasource.hikari.data-source-properties.cachePrepStmts", "true")
                .withProperty("spring.datasource.hikari.minimum-idle", "2")))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(3))
                .hasMessageContaining("spring.datasource.hikari.idle-timeout is not supported")
                .hasMessageContaining("spring.datasource.hikari.data-source-properties.cachePrepStmts is not supported")
                .hasMessageContaining("spring.datasource.hikari.minimum-idle (property source \"mockProperties\") is \"2\": Warden's pool has a fixed size");
    }

    @Test
    void aWardenPropertyAndItsHikariTwinMustAgree() {
        assertThat(SpringWardenConfig.from(new MockEnvironment().withProperty("warden.pool.max-size", "4")
                .withProperty("spring.datasource.hikari.maximum-pool-size", "4")).pool().maxSize()).isEqualTo(4);
        assertThatThrownBy(() -> SpringWardenConfig.from(new MockEnvironment().withProperty("warden.pool.max-size", "4")
                .withProperty("spring.datasource.hikari.maximum-pool-size", "8")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("warden.pool.max-size (property source \"mockProperties\") is \"4\" but spring.datasource.hikari.maximum-pool-size (property source \"mockProperties\") is \"8\"");
    }
}
