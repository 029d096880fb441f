package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.Warden;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** {@code @AutoConfigureWarden} brings Warden into a context that has no auto-configuration of its own (a custom slice). */
class AutoConfigureWardenTest {

    @Configuration(proxyBeanMethods = false)
    @AutoConfigureWarden
    static class Slice {
    }

    @Configuration(proxyBeanMethods = false)
    static class Bare {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withPropertyValues("warden.db.url=jdbc:postgresql://127.0.0.1:9/none", "warden.startup-timeout=1s");

    @Test
    void theAnnotationAddsWarden() {
        runner.withUserConfiguration(Slice.class).run(ctx -> {
            assertThat(ctx).hasSingleBean(Warden.class);
            assertThat(ctx.getBean(DataSource.class)).isInstanceOf(WardenDataSource.class);
        });
        runner.withUserConfiguration(Bare.class).run(ctx -> assertThat(ctx).doesNotHaveBean(Warden.class));
    }
}
