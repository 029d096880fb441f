package dev.warden.example.jpa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.Warden;
import dev.warden.spring.AutoConfigureWarden;
import dev.warden.spring.WardenDataSource;
import dev.warden.spring.WardenJpaTransactionManager;
import dev.warden.testing.ThrowawayDatabase;
import jakarta.persistence.EntityManagerFactory;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.data.jpa.test.autoconfigure.DataJpaTest;
import org.springframework.context.annotation.Import;
import org.springframework.orm.jpa.EntityManagerFactoryInfo;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * A plain {@code @DataJpaTest} slice with {@code @AutoConfigureWarden}: the test runs on the production
 * stack (Warden's DataSource behind its readiness gate, Warden's JPA transaction manager, the Flyway
 * migration and the seeder run by Warden's exactly-once initialisation, PostgreSQL), not on an H2 and
 * Spring's own manager, and a throwing {@code @Transactional} leaves nothing.
 */
@DataJpaTest(properties = "warden.ready-wait=60s")
@AutoConfigureWarden
@Import(LibrarySliceTest.Shelf.class)
class LibrarySliceTest {

    private static final ThrowawayDatabase DB = ThrowawayDatabase.start("warden-jpa-slice", Map.of("fsync", "off"));

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(DB::close, "stop-slice-postgres"));
    }

    /** A transactional service of the slice's own. */
    static class Shelf {
        private final BookRepository books;

        Shelf(BookRepository books) {
            this.books = books;
        }

        @Transactional
        public void addThenFail(String title) {
            books.saveAndFlush(new Book(title, 1));
            throw new IllegalStateException("the work failed after the insert");
        }
    }

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", DB::jdbcUrl);
    }

    @Autowired
    PlatformTransactionManager transactionManager;
    @Autowired
    DataSource dataSource;
    @Autowired
    EntityManagerFactory entityManagerFactory;
    @Autowired
    Warden warden;
    @Autowired
    BookRepository books;
    @Autowired
    Shelf shelf;

    @Test
    void theSliceRunsOnWardensJpaManagerDataSourceAndInitialisation() {
        assertThat(transactionManager).isInstanceOf(WardenJpaTransactionManager.class);
        assertThat(dataSource).isInstanceOf(WardenDataSource.class);
        assertThat(((WardenJpaTransactionManager) transactionManager).getDataSource()).isSameAs(dataSource);
        assertThat(((EntityManagerFactoryInfo) entityManagerFactory).getDataSource())
                .as("Hibernate's connections come from Warden's DataSource").isSameAs(dataSource);
        assertThat(warden.initStatus()).as("Warden's exactly-once initialisation ran")
                .hasValueSatisfying(s -> assertThat(s.initializedHere()).isTrue());
        assertThat(books.findByTitle("Dune")).as("the migration and the seeder ran").isPresent();
    }

    @Test
    void aWriteInTheTestsTransactionIsSeenThroughHibernate() {
        books.saveAndFlush(new Book("Slice write", 1));
        assertThat(books.findByTitle("Slice write")).isPresent();
    }

    @Test
    @Transactional(propagation = Propagation.NOT_SUPPORTED)
    void aThrowingTransactionalLeavesNothing() {
        long before = warden.txStats().snapshot().rolledBack();
        assertThatThrownBy(() -> shelf.addThenFail("Slice failure")).hasMessageContaining("failed after the insert");
        assertThat(books.findByTitle("Slice failure")).isEmpty();
        assertThat(warden.txStats().snapshot().rolledBack()).as("rolled back by Warden's manager").isGreaterThan(before);
    }
}
