package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.Warden;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;

/**
 * Without {@code warden.tx.verify-commit}, a COMMIT of Spring's manager that the server answers by
 * ending the session before applying it (FATAL 25P03: the idle-in-transaction timeout) is known not
 * to have committed, and {@link WardenRetry} runs the work again, as Warden's own transactions do
 * ({@code CommitAnswerTest} in core has the cases where it stays unknown).
 */
class SpringCommitAnswerTest {

    private static final AtomicInteger RUNS = new AtomicInteger();
    private static ThrowawayDatabase db;
    private static ConfigurableApplicationContext ctx;

    /** Application code: plain Spring. */
    static class Notes {
        private final JdbcTemplate jdbc;

        Notes(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        /** The first run sits idle in its transaction until the server ends it (FATAL 25P03 at COMMIT); the second commits. */
        @WardenRetry
        @Transactional
        public void addOnceAfterAnIdleTimeout(long id) {
            int run = RUNS.incrementAndGet();
            jdbc.update("insert into note values (?, ?)", id + run, "run " + run);
            if (run == 1) {
                int pid = jdbc.queryForObject("select pg_backend_pid()", Integer.class);
                jdbc.execute("set local idle_in_transaction_session_timeout = '100ms'");
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        count("select count(*) from pg_stat_activity where pid = " + pid) == 0);
            }
        }
    }

    /** A JDBC application: Hibernate is on the starter's test class path, and left out here. */
    @SpringBootConfiguration
    @EnableAutoConfiguration(excludeName = "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration")
    static class App {
        @Bean
        Notes notes(JdbcTemplate jdbc) {
            return new Notes(jdbc);
        }
    }

    @BeforeAll
    static void start() {
        db = ThrowawayDatabase.start("warden-starter-answer", Map.of("fsync", "off"));
        ctx = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=" + db.jdbcUrl(), "warden.ready-wait=60s",
                        "warden.retry.max-attempts=3")
                .run();
        assertThat(ctx.getBean(Warden.class).awaitReady(Duration.ofSeconds(60))).isTrue();
    }

    @AfterAll
    static void stop() {
        if (ctx != null) {
            ctx.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aCommitTheServerEndedBeforeApplyingItIsRunAgainByWardenRetry() {
        ctx.getBean(Notes.class).addOnceAfterAnIdleTimeout(400);
        assertThat(RUNS).hasValue(2);
        assertThat(count("select count(*) from note")).as("the ended first run left nothing").isEqualTo(1);
        assertThat(count("select id from note")).isEqualTo(402);
    }

    private static long count(String query) {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
