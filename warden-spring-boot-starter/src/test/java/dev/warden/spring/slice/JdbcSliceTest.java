package dev.warden.spring.slice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.Warden;
import dev.warden.spring.WardenDataSource;
import dev.warden.spring.WardenTransactionManager;
import dev.warden.testing.ThrowawayDatabase;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.jdbc.test.autoconfigure.JdbcTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * A plain {@code @JdbcTest} slice runs on Warden, as production does: Warden's DataSource (not an
 * embedded H2 swapped in, though H2 is on this classpath), its exactly-once initialisation (the
 * migration in db/migration ran), its transaction manager around the test.
 */
// A generous probe timeout: a probe slowed by a loaded machine must not cut the test transaction.
@JdbcTest(properties = {"warden.ready-wait=60s", "warden.schemas=slice_test", "warden.monitor.timeout=10s"})
class JdbcSliceTest {

    /** The application the slice is cut from: nothing of its own. */
    @SpringBootConfiguration
    static class App {
    }

    static final ThrowawayDatabase db = ThrowawayDatabase.start("warden-starter-slice", Map.of("fsync", "off"));

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", db::jdbcUrl);
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @Autowired
    DataSource dataSource;
    @Autowired
    PlatformTransactionManager transactionManager;
    @Autowired
    Warden warden;
    @Autowired
    JdbcClient jdbc;

    @Test
    void theSliceRunsOnWardenAgainstPostgres() {
        assertThat(dataSource).isInstanceOf(WardenDataSource.class);
        assertThat(transactionManager).isInstanceOf(WardenTransactionManager.class);
        assertThat(TransactionSynchronizationManager.isActualTransactionActive()).as("the slice's test transaction").isTrue();
        assertThat(jdbc.sql("select version()").query(String.class).single()).startsWith("PostgreSQL");
        jdbc.sql("insert into note values (1, 'from the slice')").update();
        assertThat(jdbc.sql("select count(*) from note").query(Long.class).single()).isEqualTo(1);
        assertThat(warden.initStatus()).isPresent();
    }
}
