package dev.warden.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each test method gets an empty database of its own on the shared server. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresExtensionTest {

    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.shared().withFreshDatabase();

    private static final Set<String> seen = ConcurrentHashMap.newKeySet();

    @Test
    @Order(1)
    void aTestWritesToItsOwnDatabase() throws Exception {
        assertThat(pg.database()).startsWith("test_");
        assertThat(seen.add(pg.database())).isTrue();
        pg.exec("create table left_behind (v int)", "insert into left_behind values (1)");
        assertThat(count("select count(*) from left_behind")).isEqualTo(1);
    }

    @Test
    @Order(2)
    void theNextTestStartsEmpty() throws Exception {
        assertThat(seen.add(pg.database())).as("a database of its own").isTrue();
        assertThat(count("select count(*) from pg_tables where tablename = 'left_behind'")).isZero();
        assertThat(pg.server()).isSameAs(SharedPostgres.get());
    }

    @Test
    @Order(3)
    void databasesOfEarlierTestsAreDropped() throws Exception {
        try (Connection c = SharedPostgres.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select datname from pg_database")) {
            while (rs.next()) {
                String name = rs.getString(1);
                if (!name.equals(pg.database())) {
                    assertThat(seen).doesNotContain(name);
                }
            }
        }
    }

    private static long count(String sql) throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
