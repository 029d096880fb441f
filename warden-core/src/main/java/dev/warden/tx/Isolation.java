package dev.warden.tx;

import java.sql.Connection;

/** Transaction isolation level. {@link #DEFAULT} keeps the server's default and costs no statement. */
public enum Isolation {
    /** Whatever the server is configured with (READ COMMITTED on a stock PostgreSQL). */
    DEFAULT(-1, null),
    READ_COMMITTED(Connection.TRANSACTION_READ_COMMITTED, "READ COMMITTED"),
    REPEATABLE_READ(Connection.TRANSACTION_REPEATABLE_READ, "REPEATABLE READ"),
    SERIALIZABLE(Connection.TRANSACTION_SERIALIZABLE, "SERIALIZABLE");

    private final int jdbcLevel;
    private final String sql;

    Isolation(int jdbcLevel, String sql) {
        this.jdbcLevel = jdbcLevel;
        this.sql = sql;
    }

    /** The {@link Connection} constant, or -1 for {@link #DEFAULT}. */
    public int jdbcLevel() {
        return jdbcLevel;
    }

    /** The SQL spelling, e.g. {@code REPEATABLE READ}; null for {@link #DEFAULT}. */
    public String sql() {
        return sql;
    }
}
