package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.warden.State;
import dev.warden.Warden;
import dev.warden.testing.SlowCommit;
import dev.warden.testing.Fault;
import dev.warden.testing.FaultProxy;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Warden's guarantees around COMMIT inside a Spring-managed transaction on Warden's JDBC transaction
 * manager (the JPA manager's: {@code LibraryJpaTest} in warden-example-jpa), against a real PostgreSQL reached through a {@link FaultProxy}: COMMIT/ROLLBACK sent as SQL
 * is refused (or caught) as inside {@code warden.transaction(…)}, and with
 * {@code warden.tx.verify-commit=true} a COMMIT whose connection is cut while it is on the wire is
 * resolved by Warden's verifier. The COMMIT is made slow (1 s) by a deferred constraint trigger that
 * sleeps for rows whose body is 'slow', so the cut lands while it runs, as in core's VerifyCommitTest.
 */
class SpringCommitGuardsTest {

    private static final ExecutorService THREADS = Executors.newCachedThreadPool();
    private static ThrowawayDatabase db;
    private static FaultProxy proxy;
    private static ConfigurableApplicationContext ctx;

    /** How often a unit of work ran, and what its synchronisation was told (the beans are proxies: kept here). */
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final List<Integer> COMPLETIONS = new CopyOnWriteArrayList<>();

    /** Application code: plain Spring. */
    static class Notes {
        private final JdbcTemplate jdbc;

        Notes(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Transactional
        public void addCommitAdd(long id, String sql) {
            jdbc.update("insert into note values (?, ?)", id, "first " + id);
            jdbc.execute(sql);
            jdbc.update("insert into note values (?, ?)", id + 1, "second " + id);
        }

        @Transactional
        public void addSwallowingARefusedRollback(long id) {
            jdbc.update("insert into note values (?, ?)", id, "first " + id);
            try {
                jdbc.execute("rollback");
            } catch (IllegalStateException swallowed) {
                // a careless library
            }
            jdbc.update("insert into note values (?, ?)", id + 1, "second " + id);
        }

        /** A slow COMMIT whose connection is cut (proxy link reset) 300 ms into it; the server goes on and commits. */
        @Transactional
        public void addSlowAndCutTheConnectionDuringCommit(long id) {
            RUNS.incrementAndGet();
            jdbc.update("insert into note values (?, 'slow')", id);
            int port = jdbc.queryForObject("select inet_client_port()", Integer.class);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void beforeCommit(boolean readOnly) {
                    FaultProxy.Link link = proxy.linkForServerPort(port).orElseThrow();
                    THREADS.execute(() -> {
                        pause(300);
                        link.set(Fault.RESET);
                    });
                }

                @Override
                public void afterCompletion(int status) {
                    COMPLETIONS.add(status);
                }
            });
        }

        /** A slow COMMIT that goes into a silence: every link of the proxy blackholed 300 ms into it. */
        @Transactional
        public void addSlowAndSilenceTheServerDuringCommit(long id) {
            jdbc.update("insert into note values (?, 'slow')", id);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void beforeCommit(boolean readOnly) {
                    THREADS.execute(() -> {
                        pause(300);
                        proxy.set(Fault.BLACKHOLE);
                    });
                }
            });
        }

        /** The first run's COMMIT is slow and its backend is terminated during it (aborted); the second commits. */
        @WardenRetry
        @Transactional
        public void addOnceAfterAnAbortedCommit(long id) {
            int run = RUNS.incrementAndGet();
            jdbc.update("insert into note values (?, ?)", id + run, run == 1 ? "slow" : "fast " + run);
            if (run == 1) {
                int pid = jdbc.queryForObject("select pg_backend_pid()", Integer.class);
                THREADS.execute(() -> {
                    pause(300);
                    sql("select pg_terminate_backend(" + pid + ")");
                });
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
        db = ThrowawayDatabase.start("warden-starter-commit", Map.of("fsync", "off"));
        proxy = FaultProxy.start(db.port());
        ctx = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=" + proxy.jdbcUrl("postgres"), "warden.tx.verify-commit=true",
                        "warden.ready-wait=60s", "warden.retry.max-attempts=3",
                        "warden.stall-bound=1500ms")
                .run();
        assertThat(ctx.getBean(Warden.class).awaitReady(Duration.ofSeconds(60))).isTrue();
        assertThat(ctx.getBean(PlatformTransactionManager.class)).as("Warden's JDBC manager (the JPA one: LibraryJpaTest)")
                .isExactlyInstanceOf(WardenTransactionManager.class);
        sql(SlowCommit.on("note", "new.body = 'slow'", 1));
    }

    @AfterAll
    static void stop() {
        THREADS.shutdownNow();
        if (ctx != null) {
            ctx.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @BeforeEach
    void empty() {
        sql("truncate note");
        RUNS.set(0);
        COMPLETIONS.clear();
    }

    @Test
    void commitSentAsSqlThroughJdbcTemplateInsideTransactionalIsRefusedAndNothingCommits() {
        Notes notes = ctx.getBean(Notes.class);
        long id = 1;
        for (String sql : new String[] {"commit", "COMMIT AND CHAIN", "end; begin", "select 1; rollback",
                "/* x */ abort", "start transaction"}) {
            assertThatThrownBy(() -> notes.addCommitAdd(10 * id, sql)).as(sql)
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("COMMIT or ROLLBACK sent as SQL")
                    .hasMessageContaining("refused and not sent");
            assertThat(count("select count(*) from note")).as("rows after '%s'", sql).isZero();
        }
        // Outside any transaction each statement is its own (auto-commit): nothing to protect, nothing refused.
        ctx.getBean(JdbcTemplate.class).execute("commit");
    }

    @Test
    void aRefusalCaughtByTheWorkStillRollsTheTransactionBackAtCommit() {
        Warden warden = ctx.getBean(Warden.class);
        long committedBefore = warden.health().transactions().committed();
        assertThatThrownBy(() -> ctx.getBean(Notes.class).addSwallowingARefusedRollback(100))
                .isInstanceOf(UnexpectedRollbackException.class).hasMessageContaining("broken")
                .hasMessageContaining("'rollback' sent as SQL; refused");
        assertThat(count("select count(*) from note")).isZero();
        assertThat(warden.health().transactions().committed()).as("never counted as a clean commit")
                .isEqualTo(committedBefore);
    }

    @Test
    void aCommitLostOnTheWireThatTheServerAppliedIsResolvedAsCommitted() {
        Notes notes = ctx.getBean(Notes.class);
        long resolvedBefore = ctx.getBean(Warden.class).txStats().commitResolved();
        notes.addSlowAndCutTheConnectionDuringCommit(200); // returns: no CommitOutcomeUnknownException
        assertThat(RUNS).hasValue(1);
        assertThat(COMPLETIONS).containsExactly(TransactionSynchronization.STATUS_COMMITTED);
        assertThat(count("select count(*) from note where id = 200")).isEqualTo(1);
        assertThat(ctx.getBean(Warden.class).txStats().commitResolved()).isEqualTo(resolvedBefore + 1);
    }

    @Test
    void aCommitLostOnTheWireThatAbortedIsResolvedAndRunAgainByWardenRetry() {
        Notes notes = ctx.getBean(Notes.class);
        notes.addOnceAfterAnAbortedCommit(300);
        assertThat(RUNS).hasValue(2);
        assertThat(count("select count(*) from note")).as("the aborted first run left nothing").isEqualTo(1);
        assertThat(count("select id from note")).isEqualTo(302);
    }

    /**
     * A COMMIT on the wire of Spring's manager is spared when a silence becomes an outage, as one of
     * Warden's own: the proxy's blackhole completes TCP handshakes (a live host, STALLED), DEGRADED
     * once the stall bound has passed, and the COMMIT gets its own answer when the path comes back,
     * not an abort (which the verifier would then have had to resolve).
     */
    @Test
    void aCommitOnTheWireIsNotAbortedWhenASilenceBecomesAnOutage() throws Exception {
        Warden warden = ctx.getBean(Warden.class);
        long resolvedBefore = warden.txStats().commitResolved();
        CompletableFuture<Throwable> write = CompletableFuture.supplyAsync(() -> {
            try {
                ctx.getBean(Notes.class).addSlowAndSilenceTheServerDuringCommit(400);
                return null;
            } catch (Throwable t) {
                return t;
            }
        }, THREADS);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> warden.state() == State.DEGRADED);
            assertThat(write).as("the COMMIT on the wire was ended by the outage").isNotDone();
        } finally {
            proxy.set(Fault.PASS);
        }
        assertThat(write.get(30, TimeUnit.SECONDS)).as("the COMMIT's own answer").isNull();
        assertThat(count("select count(*) from note where id = 400")).isEqualTo(1);
        assertThat(warden.txStats().commitResolved()).as("answered, not aborted and resolved").isEqualTo(resolvedBefore);
        assertThat(warden.awaitReady(Duration.ofSeconds(30))).isTrue();
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sql(String... statements) {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
             Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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
