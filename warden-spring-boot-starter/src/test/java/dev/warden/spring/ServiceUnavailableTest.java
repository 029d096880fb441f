package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.NotReadyException;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.spi.Seeder;
import dev.warden.testing.ThrowawayDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring MVC application on the starter answers 503 with Retry-After while Warden refuses work
 * (before READY: NotReadyException; the database really stopped: DatabaseUnavailableException), with
 * one log line per state and no stack trace per request; 200 again once READY.
 */
@ExtendWith(OutputCaptureExtension.class)
class ServiceUnavailableTest {

    static final CountDownLatch release = new CountDownLatch(1);

    @RestController
    static class Count {
        private final JdbcClient jdbc;

        Count(JdbcClient jdbc) {
            this.jdbc = jdbc;
        }

        @GetMapping("/one")
        int one() {
            return jdbc.sql("select 1").query(Integer.class).single();
        }
    }

    /** Handles Warden's refusal itself: the application's handler comes first. */
    @RestController
    static class Own {
        private final JdbcClient jdbc;

        Own(JdbcClient jdbc) {
            this.jdbc = jdbc;
        }

        @GetMapping("/own")
        int own() {
            return jdbc.sql("select 1").query(Integer.class).single();
        }

        @ExceptionHandler(NotReadyException.class)
        ResponseEntity<String> notReady(NotReadyException e) {
            return ResponseEntity.status(429).body("own handler");
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        Count count(JdbcClient jdbc) {
            return new Count(jdbc);
        }

        @Bean
        Own own(JdbcClient jdbc) {
            return new Own(jdbc);
        }

        @Bean("held-seed-1")
        Seeder heldSeed() {
            return ctx -> {
                if (!release.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            };
        }
    }

    @Test
    void refusalsAre503WithRetryAfterAndOneLogLinePerState(CapturedOutput output) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-starter-503", Map.of("fsync", "off"));
             ConfigurableApplicationContext ctx = new SpringApplicationBuilder(App.class)
                     .web(WebApplicationType.SERVLET)
                     .properties("server.port=0", "server.address=127.0.0.1", "spring.datasource.url=" + db.jdbcUrl(),
                             "warden.ready-wait=100ms", "warden.schemas=mvc_test",
                             // the database stays stopped until after the refusals: a short ride-through
                             // ends their wait sooner than the default 15 s (WARDEN_RIDE_THROUGH)
                             "warden.ride-through=1s")
                     .run()) {
            Warden warden = ctx.getBean(Warden.class);
            URI one = URI.create("http://127.0.0.1:" + ctx.getEnvironment().getProperty("local.server.port") + "/one");
            await().atMost(Duration.ofSeconds(60)).until(() -> warden.state() == State.INITIALIZING);
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(one).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as("before READY").isEqualTo(503);
                assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
            }
            HttpResponse<String> own = http.send(HttpRequest.newBuilder(one.resolve("/own")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(own.statusCode()).as("the application's own @ExceptionHandler wins").isEqualTo(429);
            release.countDown();
            assertThat(warden.awaitReady(Duration.ofSeconds(60))).isTrue();
            assertThat(http.send(HttpRequest.newBuilder(one).build(), HttpResponse.BodyHandlers.ofString()).body())
                    .isEqualTo("1");

            db.stop();
            await().atMost(Duration.ofSeconds(30)).until(() -> warden.state() == State.DEGRADED);
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(one).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as("database down").isEqualTo(503);
                assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
            }
            db.restart();
            assertThat(warden.awaitReady(Duration.ofSeconds(60))).isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> http.send(HttpRequest.newBuilder(one).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        } finally {
            release.countDown();
        }
        String out = output.getOut() + output.getErr();
        assertThat(out).containsOnlyOnce("Answering 503 (Retry-After: 1) while Warden is INITIALIZING")
                .containsOnlyOnce("Answering 503 (Retry-After: 1) while Warden is DEGRADED")
                .contains("Warden is READY again")
                .doesNotContain("NotReadyException: Warden is INITIALIZING, not READY, after waiting 100ms (WARDEN_READY_WAIT)\n\tat");
        assertThat(out.lines().filter(l -> l.startsWith("\tat dev.warden.spring.ServiceUnavailableTest$Count"))).isEmpty();
    }

    @Test
    void onByDefaultOffByProperty() {
        WebApplicationContextRunner runner = new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(WardenAutoConfiguration.class, WardenWebMvcConfiguration.class))
                .withPropertyValues("warden.db.url=jdbc:postgresql://127.0.0.1:9/none", "warden.startup-timeout=1s");
        runner.run(ctx -> assertThat(ctx).hasSingleBean(WardenUnavailableResolver.class));
        runner.withPropertyValues("warden.mvc.unavailable.enabled=false")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(WardenUnavailableResolver.class));
    }
}
