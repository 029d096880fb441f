package dev.warden.example.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.Warden;
import dev.warden.testing.SharedPostgres;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The one Spring context every test class here shares (Spring's context cache): the bank on a
 * throw-away PostgreSQL, found through {@code spring.datasource.url} alone, on a random port. A
 * ride-through of 1 s: ProbesTest's request during its outage is refused after it, not after 15 s.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "warden.retry.initial-backoff=1ms", "warden.retry.max-backoff=20ms", "warden.ride-through=1s"})
abstract class BankTestBase {

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> SharedPostgres.url());
    }

    @Autowired
    Warden warden;

    @BeforeEach
    void wardenIsReady() {
        // The context comes up before Warden is READY (it starts in the background).
        assertThat(warden.awaitReady(Duration.ofSeconds(60))).as("Warden READY: %s", warden.health().progress()).isTrue();
    }
}
