package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.DatabaseUnavailableException;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.transaction.CannotCreateTransactionException;

/** The 503 resolver finds Warden's refusal inside whatever a framework wrapped it in, and nothing else. */
class WardenUnavailableResolverTest {

    @Test
    void aWrappedRefusalIs503AndAnythingElseIsLeftAlone() {
        try (Warden warden = Warden.builder().config(WardenConfig.builder()
                .environment(Map.of("WARDEN_DB_URL", "jdbc:postgresql://127.0.0.1:9/none")).build()).build()) {
            WardenUnavailableResolver resolver = new WardenUnavailableResolver(warden, Duration.ofMillis(2500));
            MockHttpServletResponse response = new MockHttpServletResponse();
            var wrapped = new CannotCreateTransactionException("Could not open JPA EntityManager for transaction",
                    new IllegalStateException(new DatabaseUnavailableException(Instant.now(), "down", null)));
            assertThat(resolver.resolveException(new MockHttpServletRequest(), response, null, wrapped)).isNotNull();
            assertThat(response.getStatus()).isEqualTo(503);
            assertThat(response.getHeader("Retry-After")).as("rounded up to whole seconds").isEqualTo("3");

            MockHttpServletResponse other = new MockHttpServletResponse();
            assertThat(resolver.resolveException(new MockHttpServletRequest(), other, null,
                    new IllegalStateException("not Warden's"))).isNull();
            assertThat(other.getStatus()).isEqualTo(200);
        }
    }
}
