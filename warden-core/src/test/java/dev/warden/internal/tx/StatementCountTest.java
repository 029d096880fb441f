package dev.warden.internal.tx;

import static dev.warden.testing.SharedPostgres.exec;
import static dev.warden.testing.SharedPostgres.queryLong;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.warden.TestConfig;
import dev.warden.Warden;
import dev.warden.testing.SharedPostgres;
import dev.warden.tx.Isolation;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Counts, with pg_stat_statements, what the server executes for the same transaction written by
 * hand in JDBC and run through Warden. Each side runs as its own role, so the counts cannot mix.
 */
class StatementCountTest {

    private static final int TRANSACTIONS = 50;

    @BeforeAll
    static void prepare() {
        exec("create extension if not exists pg_stat_statements",
                "create table if not exists sc_counter (id int primary key, n bigint not null)",
                "insert into sc_counter values (1, 0) on conflict do nothing");
        for (String role : new String[] {"sc_jdbc", "sc_warden", "sc_jdbc_ser", "sc_warden_ser", "sc_jdbc_base",
                "sc_warden_base", "sc_warden_vc", "sc_warden_vc_base"}) {
            exec("do $$ begin create role " + role + " login; exception when duplicate_object then null; end $$",
                    "grant all on sc_counter to " + role);
        }
    }

    /** Statements the server ran for a role, BEGIN and COMMIT included (track_utility is on). */
    private static long statementsOf(String role) {
        return queryLong("select coalesce(sum(calls), 0) from pg_stat_statements s join pg_roles r on r.oid = s.userid"
                + " where r.rolname = '" + role + "'");
    }

    private static void bump(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update sc_counter set n = n + 1 where id = 1")) {
            ps.executeUpdate();
        }
    }

    /** The hand-written baseline: get connection, auto-commit off, execute, commit, close. */
    private static long handWritten(String role, int isolation) throws SQLException {
        try (HikariDataSource pool = new HikariDataSource()) {
            pool.setJdbcUrl(SharedPostgres.url());
            pool.setUsername(role);
            pool.setMaximumPoolSize(1);
            long before = 0;
            for (int i = 0; i <= TRANSACTIONS; i++) {
                if (i == 1) {
                    before = statementsOf(role); // after the first: connection set-up is not per transaction
                }
                try (Connection c = pool.getConnection()) {
                    c.setAutoCommit(false);
                    if (isolation != 0) {
                        c.setTransactionIsolation(isolation);
                    }
                    try {
                        bump(c);
                        c.commit();
                    } catch (SQLException e) {
                        c.rollback();
                        throw e;
                    }
                }
            }
            long n = statementsOf(role) - before;
            printBreakdown(role);
            return n;
        }
    }

    private static void printBreakdown(String role) {
        try (Connection c = SharedPostgres.connect(); var st = c.createStatement(); var rs = st.executeQuery(
                "select calls, query from pg_stat_statements s join pg_roles r on r.oid = s.userid where r.rolname = '"
                        + role + "' order by calls desc")) {
            while (rs.next()) {
                System.out.printf("  %-14s %5d  %s%n", role, rs.getLong(1), rs.getString(2).replaceAll("\\s+", " "));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long throughWarden(String role, Isolation isolation) {
        return throughWarden(role, isolation, false);
    }

    private static long throughWarden(String role, Isolation isolation, boolean verifyCommit) {
        // The monitor's probe runs on its own connection as the same role, not per transaction; with a
        // 1-minute interval none falls into the measured window even on a loaded machine.
        try (Warden warden = Warden.create(TestConfig.sharedPostgres().dbUser(role).poolMaxSize(1)
                .monitorInterval(java.time.Duration.ofMinutes(1)).build()).start()) {
            long before = 0;
            for (int i = 0; i <= TRANSACTIONS; i++) {
                if (i == 1) {
                    before = statementsOf(role);
                }
                warden.transaction().isolation(isolation).verifyCommit(verifyCommit).run(tx -> bump(tx.connection()));
            }
            long n = statementsOf(role) - before;
            printBreakdown(role);
            return n;
        }
    }

    @Test
    void wardenRunsNoExtraStatementPerTransactionWithTheDefaults() throws Exception {
        long jdbc = handWritten("sc_jdbc", 0);
        long warden = throughWarden("sc_warden", Isolation.DEFAULT);
        System.out.printf("statements for %d transactions: hand-written JDBC %d, Warden %d%n", TRANSACTIONS, jdbc, warden);
        assertThat(jdbc).isGreaterThanOrEqualTo(2L * TRANSACTIONS); // at least BEGIN and the update each
        assertThat(warden).isEqualTo(jdbc);
    }

    @Test
    void serializableCostsOneStatementWhereHandWrittenJdbcPaysTwo() throws Exception {
        long jdbcBase = handWritten("sc_jdbc_base", 0);
        long wardenBase = throughWarden("sc_warden_base", Isolation.DEFAULT);
        long jdbc = handWritten("sc_jdbc_ser", java.sql.Connection.TRANSACTION_SERIALIZABLE);
        long warden = throughWarden("sc_warden_ser", Isolation.SERIALIZABLE);
        System.out.printf("SERIALIZABLE, %d transactions: hand-written JDBC %d, Warden %d%n", TRANSACTIONS, jdbc, warden);
        // setTransactionIsolation sets the session and the pool resets it: two statements per transaction
        assertThat(jdbc - jdbcBase).isEqualTo(2L * TRANSACTIONS);
        // Warden sets it for the transaction only: one SET TRANSACTION each, nothing to reset
        assertThat(warden - wardenBase).isEqualTo(TRANSACTIONS);
    }

    @Test
    void verifyCommitCostsExactlyOneStatementPerTransaction() throws Exception {
        long base = throughWarden("sc_warden_vc_base", Isolation.DEFAULT);
        long verified = throughWarden("sc_warden_vc", Isolation.DEFAULT, true);
        assertThat(verified - base).isEqualTo(TRANSACTIONS);
    }
}
