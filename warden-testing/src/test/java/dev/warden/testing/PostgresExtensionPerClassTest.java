package dev.warden.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One empty database for the whole class (made before {@code @BeforeAll}), and more on demand; all are
 * dropped after the class.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresExtensionPerClassTest {

    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.shared().withFreshDatabasePerClass();

    private static final Set<String> made = ConcurrentHashMap.newKeySet();
    private static String classDatabase;

    @BeforeAll
    static void setUp() {
        classDatabase = pg.database(); // already there: the extension runs before @BeforeAll
        pg.exec("create table kept (v int)", "insert into kept values (1)");
        made.add(classDatabase);
    }

    @Test
    @Order(1)
    void theClassDatabaseIsNewAndKeepsWhatBeforeAllWrote() {
        assertThat(classDatabase).startsWith("test_").isNotEqualTo("postgres");
        assertThat(pg.queryLong("select count(*) from kept")).isEqualTo(1);
        pg.exec("insert into kept values (2)");
    }

    @Test
    @Order(2)
    void theNextTestSeesTheSameDatabase() {
        assertThat(pg.database()).isEqualTo(classDatabase);
        assertThat(pg.queryLong("select count(*) from kept")).isEqualTo(2);
    }

    @Test
    @Order(3)
    void newDatabaseMakesAnotherEmptyOne() {
        PostgresDatabase other = pg.newDatabase("other");
        made.add(other.name());
        assertThat(other.name()).startsWith("other_").isNotEqualTo(classDatabase);
        assertThat(other.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + pg.server().port() + "/" + other.name());
        assertThat(other.queryLong("select count(*) from pg_tables where tablename = 'kept'")).isZero();
        other.exec("create table mine (v int)");
        assertThatThrownBy(() -> other.exec("insert into nowhere values (1)"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("nowhere");
        assertThatThrownBy(() -> other.queryLong("select 1 where false"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("No row");
        assertThatThrownBy(() -> pg.newDatabase("Bad-Name")).isInstanceOf(IllegalArgumentException.class);
    }

    @AfterAll
    static void databasesStillThereUntilTheExtensionDropsThem() {
        assertThat(countDatabases(made.toArray(String[]::new))).isEqualTo(2);
    }

    @Test
    @Order(4)
    void afterTheClassEveryDatabaseItMadeIsDropped() {
        PostgresExtension another = PostgresExtension.shared().withFreshDatabasePerClass();
        another.beforeAll(null); // the callbacks do not read their context
        String forTheClass = another.database();
        String extra = another.newDatabase("extra").name();
        try (var open = another.connect()) { // a connection left open does not keep it
            assertThat(countDatabases(forTheClass, extra)).isEqualTo(2);
            another.afterAll(null);
            assertThat(countDatabases(forTheClass, extra)).isZero();
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static long countDatabases(String... names) {
        return SharedPostgres.queryLong("select count(*) from pg_database where datname in ('"
                + String.join("','", names) + "')");
    }
}
