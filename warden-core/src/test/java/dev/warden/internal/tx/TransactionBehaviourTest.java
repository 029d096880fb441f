package dev.warden.internal.tx;

import static dev.warden.testing.SharedPostgres.exec;
import static dev.warden.testing.SharedPostgres.queryLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.warden.ErrorKind;
import dev.warden.TestConfig;
import dev.warden.TransactionException;
import dev.warden.Warden;
import dev.warden.tx.Isolation;
import dev.warden.tx.Tx;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/** What one transaction guarantees, against a real PostgreSQL. */
class TransactionBehaviourTest {

    private static Warden warden;

    @BeforeAll
    static void start() {
        exec("create table if not exists tb_items (id int primary key, name text not null)");
        warden = Warden.create(TestConfig.sharedPostgres().poolMaxSize(1).build()).start();
    }

    @AfterAll
    static void stop() {
        warden.close();
    }

    @BeforeEach
    void empty() {
        exec("truncate tb_items");
    }

    private static void insert(Tx tx, int id, String name) throws SQLException {
        try (PreparedStatement ps = tx.connection().prepareStatement("insert into tb_items values (?, ?)")) {
            ps.setInt(1, id);
            ps.setString(2, name);
            ps.executeUpdate();
        }
    }

    private static long rows() {
        return queryLong("select count(*) from tb_items");
    }

    @Test
    void secondStepFailingLeavesNoTraceOfTheFirst() {
        IllegalStateException boom = new IllegalStateException("step 2 failed");
        assertThatThrownBy(() -> warden.useTransaction(tx -> {
            insert(tx, 1, "step one");
            throw boom;
        })).isSameAs(boom);
        assertThat(rows()).isZero();
        assertThat(warden.health().transactions().failures().get(ErrorKind.UNKNOWN)).isPositive();
    }

    @Test
    void returningCommitsExactlyOnce() {
        String result = warden.inTransaction(tx -> {
            insert(tx, 1, "a");
            insert(tx, 2, "b");
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertThat(rows()).isEqualTo(2);
    }

    @Test
    void checkedExceptionIsWrappedOnceAndRuntimeOnesPassAsTheyAre() {
        IOException io = new IOException("disk said no");
        TransactionException wrapped = catchThrowableOfType(TransactionException.class,
                () -> warden.useTransaction(tx -> {
                    insert(tx, 1, "x");
                    throw io;
                }));
        assertThat(wrapped.getCause()).isSameAs(io);
        // the application's own I/O error is not a database failure: not classified, not retried
        assertThat(wrapped.kind()).isEqualTo(ErrorKind.UNKNOWN);
        assertThat(wrapped.attempts()).isEqualTo(1);

        AssertionError error = new AssertionError("bug");
        assertThatThrownBy(() -> warden.useTransaction(tx -> {
            throw error;
        })).isSameAs(error);
        assertThat(rows()).isZero();
    }

    @Test
    void sqlErrorIsWrappedWithItsKindAndSqlState() {
        TransactionException e = catchThrowableOfType(TransactionException.class,
                () -> warden.useTransaction(tx -> {
                    try (Statement st = tx.connection().createStatement()) {
                        st.execute("select * from no_such_table");
                    }
                }));
        assertThat(e.kind()).isEqualTo(ErrorKind.DATA);
        assertThat(e.sqlState()).isEqualTo("42P01");
        assertThat(e.getMessage()).contains("42P01").contains("no_such_table");
        assertThat(e.getCause()).isInstanceOf(SQLException.class);
    }

    @Test
    void nestedCallJoinsAndItsFailureRollsBackTheWholeOuterTransaction() {
        TransactionException e = catchThrowableOfType(TransactionException.class,
                () -> warden.useTransaction(outer -> {
                    insert(outer, 1, "outer");
                    try {
                        warden.useTransaction(inner -> {
                            assertThat(inner).isSameAs(outer);
                            insert(inner, 2, "inner");
                            throw new IllegalArgumentException("inner failed");
                        });
                    } catch (IllegalArgumentException swallowed) {
                        // the caller hides the failure; Warden must still not commit half the work
                    }
                }));
        assertThat(e.getMessage()).contains("joined");
        assertThat(e.getCause()).isInstanceOf(IllegalArgumentException.class);
        assertThat(rows()).isZero();
    }

    @Test
    void nestedCallsCommitOnceWithTheOuter() {
        warden.useTransaction(outer -> {
            insert(outer, 1, "outer");
            warden.useTransaction(inner -> insert(inner, 2, "inner"));
            // the inner call did not commit: another connection cannot see its row yet
            assertThat(rows()).isZero();
        });
        assertThat(rows()).isEqualTo(2);
    }

    @Test
    void savepointUndoesOnlyItsOwnPart() {
        warden.useTransaction(tx -> {
            insert(tx, 1, "kept");
            assertThatThrownBy(() -> tx.savepoint("optional", t -> {
                insert(t, 2, "undone");
                insert(t, 1, "duplicate key");
                return null;
            })).isInstanceOf(TransactionException.class)
                    .satisfies(ex -> assertThat(((TransactionException) ex).kind()).isEqualTo(ErrorKind.CONSTRAINT));
            Savepoint sp = tx.savepoint("manual");
            insert(tx, 3, "also undone");
            tx.rollbackTo(sp);
            insert(tx, 4, "kept too");
        });
        assertThat(queryLong("select count(*) from tb_items where id in (1, 4)")).isEqualTo(2);
        assertThat(rows()).isEqualTo(2);
    }

    @Test
    void afterCommitRunsOnlyAfterASuccessfulCommit() {
        List<String> events = new ArrayList<>();
        warden.useTransaction(tx -> {
            insert(tx, 1, "a");
            tx.afterCommit(() -> events.add("committed, rows visible: " + rows()));
            events.add("work done");
        });
        assertThat(events).containsExactly("work done", "committed, rows visible: 1");

        events.clear();
        assertThatThrownBy(() -> warden.useTransaction(tx -> {
            tx.afterCommit(() -> events.add("must not run"));
            throw new IllegalStateException("rollback");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(events).isEmpty();
    }

    @Test
    void afterCommitFailureDoesNotTurnACommittedTransactionIntoAnError() {
        List<String> events = new ArrayList<>();
        warden.useTransaction(tx -> {
            insert(tx, 1, "a");
            tx.afterCommit(() -> {
                throw new IllegalStateException("callback bug");
            });
            tx.afterCommit(() -> events.add("second callback ran"));
        });
        assertThat(rows()).isEqualTo(1);
        assertThat(events).containsExactly("second callback ran");
    }

    @Test
    void rollbackOnlyReturnsTheResultAndKeepsNothing() {
        int result = warden.inTransaction(tx -> {
            insert(tx, 1, "dry run");
            tx.setRollbackOnly();
            return 42;
        });
        assertThat(result).isEqualTo(42);
        assertThat(rows()).isZero();
    }

    @Test
    void swallowedErrorCannotTurnIntoACommitAndTheConnectionComesBackClean() {
        TransactionException e = catchThrowableOfType(TransactionException.class,
                () -> warden.useTransaction(tx -> {
                    insert(tx, 1, "before the error");
                    try {
                        insert(tx, 1, "duplicate");
                    } catch (SQLException swallowed) {
                        // a careless caller; the transaction is now aborted (25P02)
                    }
                }));
        assertThat(e).isNotNull();
        assertThat(e.sqlState()).isEqualTo("25P02");
        assertThat(e.getMessage()).contains("caught");
        assertThat(rows()).isZero();
        // The pool has one connection: the next transaction gets the same one, and it must be idle.
        TransactionState state = warden.inTransaction(tx -> {
            TransactionState before = tx.connection().unwrap(BaseConnection.class).getTransactionState();
            insert(tx, 2, "after");
            return before;
        });
        assertThat(state).isEqualTo(TransactionState.IDLE);
        assertThat(rows()).isEqualTo(1);
    }

    @Test
    void theConnectionRefusesToCommitOrRollBackBehindWardensBack() {
        assertThatThrownBy(() -> warden.useTransaction(tx -> {
            insert(tx, 1, "a");
            tx.connection().commit();
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("commit");
        assertThatThrownBy(() -> warden.useTransaction(tx -> tx.connection().setAutoCommit(true)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> warden.useTransaction(tx -> tx.connection().rollback()))
                .isInstanceOf(IllegalStateException.class);
        warden.useTransaction(tx -> {
            try (Connection c = tx.connection()) { // closing it is harmless
                insert(tx, 2, "b");
            }
            insert(tx, 3, "c");
        });
        assertThat(rows()).isEqualTo(2);
    }

    @Test
    void readOnlyTransactionRejectsWrites() {
        TransactionException e = catchThrowableOfType(TransactionException.class,
                () -> warden.transaction().readOnly().run(tx -> insert(tx, 1, "x")));
        assertThat(e.sqlState()).isEqualTo("25006");
        assertThat(rows()).isZero();
        long n = warden.transaction().readOnly().call(tx -> {
            try (Statement st = tx.connection().createStatement(); var rs = st.executeQuery("select count(*) from tb_items")) {
                rs.next();
                return rs.getLong(1);
            }
        });
        assertThat(n).isZero();
    }

    @Test
    void timeoutEndsASlowStatementAsTimeoutWithoutRetry() {
        TransactionException e = catchThrowableOfType(TransactionException.class,
                () -> warden.transaction().timeout(Duration.ofMillis(100)).label("slow").run(tx -> {
                    try (Statement st = tx.connection().createStatement()) {
                        st.execute("select pg_sleep(5)");
                    }
                }));
        assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
        assertThat(e.attempts()).isEqualTo(1);
        assertThat(e.label()).isEqualTo("slow");
        // SET LOCAL: the next transaction on the same connection has no timeout left over
        long timeout = warden.inTransaction(tx -> {
            try (Statement st = tx.connection().createStatement();
                 var rs = st.executeQuery("select setting::bigint from pg_settings where name = 'statement_timeout'")) {
                rs.next();
                return rs.getLong(1);
            }
        });
        assertThat(timeout).isZero();
    }

    @Test
    void isolationIsSetPerTransactionOnly() {
        String inside = warden.transaction().isolation(Isolation.SERIALIZABLE).call(tx -> show(tx));
        String after = warden.inTransaction(TransactionBehaviourTest::show);
        assertThat(inside).isEqualTo("serializable");
        assertThat(after).isEqualTo("read committed");
    }

    private static String show(Tx tx) throws SQLException {
        try (Statement st = tx.connection().createStatement(); var rs = st.executeQuery("show transaction_isolation")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void joiningWithIncompatibleOptionsIsRefusedClearly() {
        assertThatThrownBy(() -> warden.transaction().readOnly().run(outer ->
                warden.useTransaction(inner -> insert(inner, 1, "x"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("read-only");
        assertThatThrownBy(() -> warden.useTransaction(outer ->
                warden.transaction().isolation(Isolation.SERIALIZABLE).run(inner -> { })))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("SERIALIZABLE");
    }

    @Test
    void badOptionsFailBeforeAnythingRuns() {
        assertThatThrownBy(() -> warden.transaction().timeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
        assertThatThrownBy(() -> warden.transaction().label(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label");
        assertThatThrownBy(() -> warden.inTransaction(null)).isInstanceOf(NullPointerException.class);
    }
}
