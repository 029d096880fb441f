package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Counts, with pg_stat_statements, what the server executes for the same TransactionTemplate +
 * JdbcTemplate work on Spring's DataSourceTransactionManager and on Warden's transaction manager
 * and DataSource (each as its own role, on Warden pools with the same settings): 0 extra.
 */
class SpringStatementCountTest {

    private static final int TRANSACTIONS = 50;
    private static ThrowawayDatabase db;

    @BeforeAll
    static void start() throws SQLException {
        db = ThrowawayDatabase.start("warden-starter-sc", Map.of("shared_preload_libraries", "pg_stat_statements",
                "pg_stat_statements.track", "all", "fsync", "off"));
        exec("create extension if not exists pg_stat_statements",
                "create table counter (id int primary key, n bigint not null)",
                "insert into counter values (1, 0)");
        for (String role : new String[] {"sc_spring", "sc_warden", "sc_spring_ser", "sc_warden_ser"}) {
            exec("create role " + role + " login", "grant all on counter to " + role);
        }
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    private static void exec(String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
             Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    private static long statementsOf(String role) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select coalesce(sum(calls), 0) from pg_stat_statements s"
                     + " join pg_roles r on r.oid = s.userid where r.rolname = '" + role + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Warden warden(String role) {
        return Warden.create(WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).dbUser(role)
                .poolMaxSize(1).monitorInterval(java.time.Duration.ZERO).build()).start();
    }

    /** Statements run by {@code role} for TRANSACTIONS transactions (the first, with connection set-up, not counted). */
    private static long count(String role, PlatformTransactionManager tm, DataSource ds, int isolation) throws SQLException {
        TransactionTemplate tx = new TransactionTemplate(tm);
        tx.setIsolationLevel(isolation);
        JdbcTemplate jdbc = new JdbcTemplate(ds);
        long before = 0;
        for (int i = 0; i <= TRANSACTIONS; i++) {
            if (i == 1) {
                before = statementsOf(role);
            }
            tx.executeWithoutResult(s -> jdbc.update("update counter set n = n + 1 where id = 1"));
        }
        return statementsOf(role) - before;
    }

    @Test
    void wardensManagerRunsNoExtraStatementComparedWithSpringsOwn() throws SQLException {
        assertSameCount("sc_spring", "sc_warden", TransactionDefinition.ISOLATION_DEFAULT);
    }

    @Test
    void sameWithANonDefaultIsolation() throws SQLException {
        assertSameCount("sc_spring_ser", "sc_warden_ser", TransactionDefinition.ISOLATION_SERIALIZABLE);
    }

    private static void assertSameCount(String springRole, String wardenRole, int isolation) throws SQLException {
        long spring;
        try (Warden w = warden(springRole)) {
            spring = count(springRole, new DataSourceTransactionManager(w.dataSource()), w.dataSource(), isolation);
        }
        long warden;
        try (Warden w = warden(wardenRole)) {
            WardenDataSource ds = new WardenDataSource(w);
            warden = count(wardenRole, new WardenTransactionManager(ds), ds, isolation);
        }
        System.out.printf("statements for %d transactions (isolation %d): DataSourceTransactionManager %d,"
                + " WardenTransactionManager %d%n", TRANSACTIONS, isolation, spring, warden);
        assertThat(spring).isGreaterThanOrEqualTo(2L * TRANSACTIONS);
        assertThat(warden).isEqualTo(spring);
    }
}
