package dev.warden.internal.tx;

import dev.warden.tx.Isolation;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections of transactions: taken from the pool, begun (auto-commit off, read-only, one
 * combined {@code SET TRANSACTION …; SET LOCAL …} only when asked for), rolled back, and returned, or
 * evicted when broken or still inside a transaction.
 */
final class TxConnections {

    private static final Logger log = LoggerFactory.getLogger(Transactions.class);

    private final DataSource pool;
    private final Consumer<Connection> evict;
    /** Null until the first connection says whether it is pgjdbc (whose state can be read locally). */
    private volatile Boolean pgjdbc;

    TxConnections(DataSource pool, Consumer<Connection> evict) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.evict = Objects.requireNonNull(evict, "evict");
    }

    /** A connection from the pool. */
    Connection take() throws SQLException {
        return pool.getConnection();
    }

    static void begin(Connection conn, boolean readOnly, Isolation isolation, Duration timeout,
                      String perTransaction) throws SQLException {
        if (conn.getAutoCommit()) {
            conn.setAutoCommit(false); // local to the driver: BEGIN goes out with the first statement
        }
        if (readOnly) {
            conn.setReadOnly(true); // pgjdbc sends BEGIN READ ONLY, no extra statement
        }
        if (isolation != Isolation.DEFAULT || timeout != null || !perTransaction.isEmpty()) {
            StringBuilder sql = new StringBuilder(80);
            if (isolation != Isolation.DEFAULT) {
                // Per transaction, unlike setTransactionIsolation: nothing to reset when the connection goes back.
                sql.append("SET TRANSACTION ISOLATION LEVEL ").append(isolation.sql());
            }
            if (!perTransaction.isEmpty()) {
                // SET TRANSACTION must come first; a later SET LOCAL statement_timeout (the
                // transaction's own timeout) wins over the default one set here.
                if (!sql.isEmpty()) {
                    sql.append("; ");
                }
                sql.append(perTransaction);
            }
            if (timeout != null) {
                if (!sql.isEmpty()) {
                    sql.append("; ");
                }
                sql.append("SET LOCAL statement_timeout = ").append(Math.max(1, timeout.toMillis()));
            }
            try (Statement st = conn.createStatement()) {
                st.execute(sql.toString());
            }
        }
    }

    /** Rolls back; returns false when the connection could not do it and must not be reused. */
    static boolean rollbackQuietly(Connection conn, Throwable cause) {
        try {
            conn.rollback();
            return true;
        } catch (SQLException | RuntimeException e) {
            cause.addSuppressed(e);
            return false;
        }
    }

    /**
     * Returns the connection to the pool, or evicts it when it is broken or (pgjdbc) still inside a
     * transaction: a connection never goes back in an aborted state (25P02) for the next user.
     */
    Connection release(Connection conn, boolean broken) {
        if (conn == null) {
            return null;
        }
        try {
            if (!broken && notIdle(conn)) {
                broken = !rollbackQuietly(conn, new SQLException("cleanup")) || notIdle(conn);
            }
            if (broken) {
                evict.accept(conn);
            } else {
                conn.close();
            }
        } catch (SQLException | RuntimeException e) {
            log.debug("Could not return a connection to the pool: {}", e.toString());
        }
        return null;
    }

    private boolean notIdle(Connection conn) throws SQLException {
        BaseConnection pg = pgjdbc(conn);
        return pg != null && pg.getTransactionState() != TransactionState.IDLE;
    }

    /** The driver's connection when it is pgjdbc (whose transaction state is known locally), else null. */
    BaseConnection pgjdbc(Connection conn) throws SQLException {
        Boolean pg = pgjdbc;
        if (pg == null) {
            pg = pgjdbc = conn.isWrapperFor(BaseConnection.class);
        }
        return pg ? conn.unwrap(BaseConnection.class) : null;
    }
}
