package dev.warden.example.jpa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.Warden;
import dev.warden.spring.TransactionAbortedException;
import dev.warden.spring.WardenJpaTransactionManager;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The library on Spring Data JPA with the starter, against a real PostgreSQL: JPA writes commit, a
 * failing unit of work leaves nothing, JDBC and JPA share one transaction, an aborted transaction is
 * never committed, a lost COMMIT is an unknown outcome, and Hibernate starts while the database is away.
 */
class LibraryJpaTest {

    private static ThrowawayDatabase db;
    private static ConfigurableApplicationContext ctx;

    @BeforeAll
    static void start() {
        db = ThrowawayDatabase.start("warden-jpa-example", Map.of("fsync", "off"));
        ctx = app(db.jdbcUrl()).run();
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

    static SpringApplicationBuilder app(String url) {
        return new SpringApplicationBuilder(LibraryApplication.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=" + url, "warden.ready-wait=1s");
    }

    @Test
    void transactionsRunOnWardensJpaManagerAndTheSeederRanOnce() throws Exception {
        assertThat(ctx.getBean(PlatformTransactionManager.class)).isInstanceOf(WardenJpaTransactionManager.class);
        assertThat(count("select count(*) from book where title in ('Dune', 'Emma')")).isEqualTo(2);
    }

    @Test
    void aJpaSaveCommitsAndAThrowingUnitOfWorkLeavesNothing() throws Exception {
        Library library = ctx.getBean(Library.class);
        Book saved = library.add("Middlemarch", 3);
        assertThat(saved.getId()).as("the identity came back from the insert").isNotNull();
        assertThat(count("select count(*) from book where title = 'Middlemarch'")).isEqualTo(1);

        assertThatThrownBy(() -> library.addThenFail("Ulysses")).hasMessageContaining("failed after the insert");
        assertThat(count("select count(*) from book where title = 'Ulysses'")).isZero();
    }

    @Test
    void jdbcAndJpaWorkShareOneTransaction() throws Exception {
        Library library = ctx.getBean(Library.class);
        library.add("Persuasion", 2);
        assertThat(library.lend("Persuasion", "ann")).as("JDBC sees the copy JPA lent").isEqualTo(1);
        assertThat(count("select count(*) from loan l join book b on b.id = l.book_id where b.title = 'Persuasion'"))
                .isEqualTo(1);
        assertThat(count("select copies from book where title = 'Persuasion'")).isEqualTo(1);
    }

    @Test
    void anAbortedTransactionIsRolledBackNeverCommittedAndItsConnectionGoesBack() throws Exception {
        Library library = ctx.getBean(Library.class);
        for (int i = 0; i < 3; i++) {
            String title = "Beloved " + i;
            assertThatThrownBy(() -> library.addSwallowingAFailure(title))
                    .isInstanceOf(TransactionAbortedException.class).hasMessageContaining("25P02");
            assertThat(count("select count(*) from book where title = '" + title + "'")).isZero();
        }
        assertThat(ctx.getBean(Warden.class).health().pool().active()).as("no connection left borrowed").isZero();
    }

    @Test
    void aCommitLostOnTheWireIsAnUnknownOutcomeAndSynchronizationsAreToldSo() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(db.port());
             ConfigurableApplicationContext other = app(proxy.jdbcUrl("postgres")).run()) {
            assertThat(other.getBean(Warden.class).awaitReady(Duration.ofSeconds(60))).isTrue();
            TransactionTemplate tx = new TransactionTemplate(other.getBean(PlatformTransactionManager.class));
            BookRepository books = other.getBean(BookRepository.class);
            List<Integer> statuses = new CopyOnWriteArrayList<>();
            assertThatThrownBy(() -> tx.executeWithoutResult(s -> {
                books.saveAndFlush(new Book("Lost at commit", 1));
                TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                    @Override
                    public void beforeCompletion() {
                        proxy.set(Fault.RESET); // the connection dies as COMMIT goes out
                    }

                    @Override
                    public void afterCompletion(int status) {
                        statuses.add(status);
                    }
                });
            })).isInstanceOf(CommitOutcomeUnknownException.class);
            assertThat(statuses).containsExactly(TransactionSynchronization.STATUS_UNKNOWN);
            proxy.set(Fault.PASS);
        }
    }

    @Test
    void commitSentAsANativeQueryInsideAJpaTransactionIsRefusedAndNothingCommits() throws Exception {
        Library library = ctx.getBean(Library.class);
        for (String sql : List.of("commit", "rollback and chain", "end; begin")) {
            assertThatThrownBy(() -> library.addThenSend("Native " + sql, sql)).as(sql)
                    .hasStackTraceContaining("COMMIT or ROLLBACK sent as SQL").hasStackTraceContaining("refused and not sent");
            assertThat(count("select count(*) from book where title like 'Native%'")).as(sql).isZero();
        }
    }

    @Test
    void commitSentThroughJdbcTemplateInsideAJpaTransactionIsRefusedAndNothingCommits() throws Exception {
        TransactionTemplate tx = new TransactionTemplate(ctx.getBean(PlatformTransactionManager.class));
        BookRepository books = ctx.getBean(BookRepository.class);
        JdbcTemplate jdbc = ctx.getBean(JdbcTemplate.class);
        assertThatThrownBy(() -> tx.executeWithoutResult(s -> {
            books.saveAndFlush(new Book("Jdbc commit", 1));
            jdbc.execute("commit");
            books.saveAndFlush(new Book("Jdbc commit (second)", 1));
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("COMMIT or ROLLBACK sent as SQL");
        assertThat(count("select count(*) from book where title like 'Jdbc commit%'")).isZero();

        long committedBefore = ctx.getBean(Warden.class).txStats().snapshot().committed();
        assertThatThrownBy(() -> tx.executeWithoutResult(s -> {
            books.saveAndFlush(new Book("Jdbc rollback", 1));
            try {
                jdbc.execute("rollback");
            } catch (IllegalStateException swallowed) {
                // a careless library
            }
        })).isInstanceOf(UnexpectedRollbackException.class).hasMessageContaining("'rollback' sent as SQL; refused");
        assertThat(count("select count(*) from book where title = 'Jdbc rollback'")).isZero();
        assertThat(ctx.getBean(Warden.class).txStats().snapshot().committed()).isEqualTo(committedBefore);
    }

    /**
     * With {@code warden.tx.verify-commit=true} a COMMIT whose connection is cut (the proxy resets it)
     * while the server is still committing is resolved by Warden's verifier: committed, success, and
     * synchronisations told {@code STATUS_COMMITTED}. The COMMIT is made slow (1 s) by a deferred
     * constraint trigger, so the cut, 300 ms in, lands while it runs.
     */
    @Test
    void withVerifyCommitALostCommitThatTheServerAppliedIsResolvedAsCommitted() throws Exception {
        exec(SlowCommit.on("book", "new.title like 'Slow%'", 1));
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (FaultProxy proxy = FaultProxy.start(db.port());
             ConfigurableApplicationContext other = app(proxy.jdbcUrl("postgres"))
                     .properties("warden.tx.verify-commit=true").run()) {
            Warden warden = other.getBean(Warden.class);
            assertThat(warden.awaitReady(Duration.ofSeconds(60))).isTrue();
            TransactionTemplate tx = new TransactionTemplate(other.getBean(PlatformTransactionManager.class));
            BookRepository books = other.getBean(BookRepository.class);
            JdbcTemplate jdbc = other.getBean(JdbcTemplate.class);
            List<Integer> statuses = new CopyOnWriteArrayList<>();
            tx.executeWithoutResult(s -> {
                books.saveAndFlush(new Book("Slow commit", 1));
                int port = jdbc.queryForObject("select inet_client_port()", Integer.class); // the JPA transaction's connection
                FaultProxy.Link link = proxy.linkForServerPort(port).orElseThrow();
                TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                    @Override
                    public void beforeCommit(boolean readOnly) {
                        threads.execute(() -> {
                            try {
                                Thread.sleep(300);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            link.set(Fault.RESET);
                        });
                    }

                    @Override
                    public void afterCompletion(int status) {
                        statuses.add(status);
                    }
                });
            });
            assertThat(statuses).containsExactly(TransactionSynchronization.STATUS_COMMITTED);
            assertThat(count("select count(*) from book where title = 'Slow commit'")).isEqualTo(1);
            assertThat(warden.txStats().commitResolved()).isEqualTo(1);
            assertThat(warden.txStats().snapshot().commitUnknown()).isZero();
        } finally {
            threads.shutdownNow();
            exec("drop trigger if exists book_slow_commit on book");
        }
    }

    @Test
    void hibernateStartsWhileTheDatabaseIsAwayAndWritesOnceItIsBack() throws Exception {
        try (ThrowawayDatabase late = ThrowawayDatabase.start("warden-jpa-late", Map.of("fsync", "off"))) {
            late.stop();
            try (ConfigurableApplicationContext away = app(late.jdbcUrl()).run()) {
                Warden warden = away.getBean(Warden.class);
                assertThat(warden.state().name()).as("the context was built without the database")
                        .isNotEqualTo("READY");
                late.restart();
                assertThat(warden.awaitReady(Duration.ofSeconds(90))).isTrue();
                away.getBean(Library.class).add("Rebecca", 1);
                try (Connection c = DriverManager.getConnection(late.jdbcUrl(), "postgres", "");
                     Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("select count(*) from book where title = 'Rebecca'")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void springSqlInitAlwaysStopsTheStartAtOnceWithWhatToDo() {
        // As the application's own properties set it (command-line arguments rank with them).
        assertThatThrownBy(() -> app(db.jdbcUrl()).run("--spring.sql.init.mode=always").close())
                .hasStackTraceContaining("spring.sql.init.mode=always")
                .hasStackTraceContaining("Flyway migrations");
    }

    private static void exec(String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
             Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
    }

    private static long count(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
