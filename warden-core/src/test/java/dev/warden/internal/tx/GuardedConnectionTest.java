package dev.warden.internal.tx;

import static dev.warden.testing.SharedPostgres.exec;
import static dev.warden.testing.SharedPostgres.queryLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.TestConfig;
import dev.warden.TransactionException;
import dev.warden.Warden;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ways around the guarded connection are closed, and what cannot be closed is detected. */
class GuardedConnectionTest {

    private static Warden warden;

    @BeforeAll
    static void start() {
        exec("create table if not exists gc_items (id int primary key)");
        warden = Warden.create(TestConfig.sharedPostgres().poolMaxSize(2).build()).start();
    }

    @AfterAll
    static void stop() {
        warden.close();
    }

    @BeforeEach
    void empty() {
        exec("truncate gc_items");
    }

    private static long rows() {
        return queryLong("select count(*) from gc_items");
    }

    @Test
    void statementsMetadataAndResultSetsHandBackTheGuardedConnection() {
        warden.useTransaction(tx -> {
            Connection guarded = tx.connection();
            try (Statement st = guarded.createStatement();
                 PreparedStatement ps = guarded.prepareStatement("select 1");
                 CallableStatement cs = guarded.prepareCall("select 1")) {
                assertThat(st.getConnection()).isSameAs(guarded);
                assertThat(ps.getConnection()).isSameAs(guarded);
                assertThat(cs.getConnection()).isSameAs(guarded);
                assertThat(guarded.getMetaData().getConnection()).isSameAs(guarded);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.getStatement()).isSameAs(ps);
                    assertThat(rs.getStatement().getConnection()).isSameAs(guarded);
                }
                try (ResultSet rs = st.executeQuery("select 2")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(2);
                    assertThat(rs.getStatement()).isSameAs(st);
                }
                assertThat(cs.execute()).isTrue();
                assertThat(cs.getResultSet().getStatement()).isSameAs(cs);
                assertThat(st.unwrap(org.postgresql.PGStatement.class)).isNotNull();
            }
        });
    }

    @Test
    void commitThroughAStatementOrTheMetadataIsRefused() {
        assertThatThrownBy(() -> warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.executeUpdate("insert into gc_items values (1)");
                st.getConnection().commit();
            }
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("commit");
        assertThatThrownBy(() -> warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.executeUpdate("insert into gc_items values (2)");
            }
            tx.connection().getMetaData().getConnection().commit();
        })).isInstanceOf(IllegalStateException.class);
        assertThat(rows()).isZero();
    }

    /** A metadata query's result set leads back to the guarded connection too, not to the pool's. */
    @Test
    void commitThroughAMetadataResultSetIsRefused() {
        Throwable thrown = catchThrowable(() -> warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.executeUpdate("insert into gc_items values (1)");
            }
            try (ResultSet tables = tx.connection().getMetaData().getTables(null, null, "gc_items", null)) {
                tables.getStatement().getConnection().commit();
            }
            throw new IllegalStateException("the work fails after a commit through metadata");
        }));
        assertThat(rows()).as("rows committed by a failed work").isZero();
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("commit is not allowed");
    }

    @Test
    void commitSentAsSqlBreaksTheTransactionAndIsNeverCountedAsACleanCommit() {
        long committedBefore = warden.health().transactions().committed();
        AtomicInteger runs = new AtomicInteger();
        assertThatThrownBy(() -> warden.useTransaction(tx -> {
            runs.incrementAndGet();
            try (Statement st = tx.connection().createStatement()) {
                st.executeUpdate("insert into gc_items values (1)");
                st.execute("commit");
                st.executeUpdate("insert into gc_items values (2)");
            }
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("COMMIT or ROLLBACK sent as SQL");
        assertThat(runs).hasValue(1);
        assertThat(queryLong("select count(*) from gc_items where id = 2")).isZero();
        assertThat(warden.health().transactions().committed()).isEqualTo(committedBefore);
    }

    /**
     * COMMIT AND CHAIN, or COMMIT followed by BEGIN in one string, leaves the connection inside a new
     * transaction: the state check after the statement cannot see it, and a failing work would find
     * its first half committed. Such SQL is refused before it is sent.
     */
    @Test
    void sqlThatCommitsAndOpensANewTransactionIsRefusedBeforeItIsSent() {
        for (String sql : new String[] {"commit and chain", "COMMIT; BEGIN", "end; begin", "/* x */ abort; start transaction",
                "select 1; rollback and chain", "prepare transaction 'gc'"}) {
            assertThatThrownBy(() -> warden.useTransaction(tx -> {
                try (Statement st = tx.connection().createStatement()) {
                    st.executeUpdate("insert into gc_items values (1)");
                    st.execute(sql);
                    st.executeUpdate("insert into gc_items values (2)");
                }
                throw new IllegalStateException("the work fails after '" + sql + "'");
            })).as(sql).isInstanceOf(IllegalStateException.class).hasMessageContaining("COMMIT or ROLLBACK sent as SQL");
            assertThat(rows()).as(sql).isZero();
        }
        assertThatThrownBy(() -> warden.useTransaction(tx -> {
            tx.connection().prepareStatement("commit and chain").execute();
        })).isInstanceOf(IllegalStateException.class);
        assertThat(queryLong("select count(*) from pg_prepared_xacts")).isZero();
    }

    /**
     * SQL that PostgreSQL reads as COMMIT AND CHAIN while a careless scan would read it as a comment,
     * a string or a CREATE statement's body: a line comment ends at a carriage return too, a quote
     * after an identifier ending in e ({@code name'\\'}) is a standard string, not an E'…' string,
     * a CREATE TABLE is no function body, a dollar-quote tag may hold any non-ASCII character, and a
     * comment separates PREPARE from TRANSACTION. Each must be refused like a plain COMMIT AND CHAIN.
     */
    @Test
    void commitAndChainHiddenBehindACommentStringOrCreateIsRefused() {
        for (String sql : new String[] {"select 1 -- x\r; commit and chain",
                "select name'\\'; commit and chain; select '\\'",
                "create temp table if not exists gc_tmp (a int); commit and chain",
                "select $\u2003$ ' $\u2003$; commit and chain; select ''", "prepare /* x */ transaction 'gc'"}) {
            Throwable thrown = catchThrowable(() -> warden.useTransaction(tx -> {
                try (Statement st = tx.connection().createStatement()) {
                    st.executeUpdate("insert into gc_items values (1)");
                    st.execute(sql);
                    st.executeUpdate("insert into gc_items values (2)");
                }
                throw new IllegalStateException("the work fails after '" + sql + "'");
            }));
            assertThat(rows()).as("rows committed by a failed work with " + sql).isZero();
            assertThat(thrown).as(sql).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("COMMIT or ROLLBACK sent as SQL");
        }
    }

    /** With standard_conforming_strings off, PostgreSQL reads a backslash before a quote as an escape in every string. */
    @Test
    void commitAndChainHiddenInAStringThatEndsDifferentlyWithoutStandardConformingStringsIsRefused() {
        String sql = "select '\\''; commit and chain; select '\\''";
        Throwable thrown = catchThrowable(() -> warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.execute("set local standard_conforming_strings = off");
                st.executeUpdate("insert into gc_items values (1)");
                st.execute(sql);
                st.executeUpdate("insert into gc_items values (2)");
            }
            throw new IllegalStateException("the work fails after '" + sql + "'");
        }));
        assertThat(rows()).as("rows committed by a failed work").isZero();
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("COMMIT or ROLLBACK sent as SQL");
    }

    @Test
    void aFunctionBodyInBeginAtomicIsStillNotMistakenForAnEnd() {
        warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.execute("create or replace function gc_f() returns int language sql begin atomic"
                        + " select case when true then 1 else 2 end; select 3; end");
                st.execute("insert into gc_items select gc_f()");
            }
        });
        assertThat(rows()).isEqualTo(1);
    }

    @Test
    void transactionWordsInsideLiteralsCommentsAndSavepointsAreNotMistakenForAnEnd() {
        warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.execute("insert into gc_items values (1); select 'x; commit', E'it\\'s; end', \"a;begin\" from"
                        + " (select 1 as \"a;begin\") q; -- ; commit\n select $t$; rollback$t$; /* ; abort */ savepoint s");
                st.execute("insert into gc_items values (2); rollback to savepoint s; release savepoint s");
                st.execute("do $$ begin perform 1; end $$");
            }
        });
        assertThat(rows()).isEqualTo(1);
    }

    @Test
    void anEmptyBatchBeforeAnyStatementIsNotMistakenForACommit() {
        warden.useTransaction(tx -> {
            try (PreparedStatement ps = tx.connection().prepareStatement("insert into gc_items values (?)")) {
                assertThat(ps.executeBatch()).isEmpty(); // sends nothing: the transaction is not open yet
                ps.setInt(1, 1);
                ps.executeUpdate();
            }
        });
        assertThat(rows()).isEqualTo(1);
    }

    @Test
    void swallowedSqlCommitIsStillReportedAsABrokenTransaction() {
        assertThatThrownBy(() -> warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.executeUpdate("insert into gc_items values (1)");
                try {
                    st.execute("rollback");
                } catch (IllegalStateException swallowed) {
                    // a careless library
                }
                st.executeUpdate("insert into gc_items values (2)");
            }
        })).isInstanceOf(TransactionException.class).hasMessageContaining("broken");
        assertThat(rows()).isZero();
    }

    @Test
    void anUnknownOutcomeFromANestedWardenIsNeverRetriedByTheOuterOne() {
        AtomicInteger runs = new AtomicInteger();
        CommitOutcomeUnknownException inner = new CommitOutcomeUnknownException("inner commit lost", "08006", 1,
                "inner", null);
        assertThatThrownBy(() -> warden.useTransaction(tx -> {
            runs.incrementAndGet();
            throw new IllegalStateException("library wrapper", inner);
        })).hasCause(inner);
        assertThat(runs).hasValue(1);
        assertThatThrownBy(() -> warden.useTransaction(tx -> {
            runs.incrementAndGet();
            throw inner;
        })).isSameAs(inner);
        assertThat(runs).hasValue(2);
    }
}
