package dev.warden;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What kind of failure a database error is, from its SQLState and exception type. Only
 * {@link #SERIALIZATION}, {@link #DEADLOCK} and {@link #CONNECTION} are worth running the whole
 * transaction again for; every other kind would fail the same way again.
 */
public enum ErrorKind {
    /**
     * The connection failed, could not be made, or points at a server that cannot take writes now:
     * SQLState 08xxx, 57P01-57P05, 53300, 25P03, 25006 (read-only: a standby or a demoted primary),
     * I/O errors, and a pool's "Connection is closed".
     */
    CONNECTION(true),
    /** The transaction lost a serialization race: SQLState 40001. */
    SERIALIZATION(true),
    /** The server broke a deadlock by aborting this transaction: SQLState 40P01. */
    DEADLOCK(true),
    /** A statement or lock wait ran out of time: SQLState 57014, 55P03. */
    TIMEOUT(false),
    /** An integrity constraint said no (unique, foreign key, check, not null): SQLState 23xxx. */
    CONSTRAINT(false),
    /** The statement or its data was wrong (syntax, types, missing table): SQLState 22xxx, 42xxx. */
    DATA(false),
    /** Anything else, including errors thrown by the application's own code. */
    UNKNOWN(false);

    private static final String HIKARI_CLOSED = "Connection is closed";

    private final boolean retryable;

    ErrorKind(boolean retryable) {
        this.retryable = retryable;
    }

    /** True when running the whole transaction again may succeed. */
    public boolean isRetryable() {
        return retryable;
    }

    /**
     * Classifies a throwable: the first SQLState found along its cause chain decides; without one,
     * a JDBC connection exception, or an I/O error under a {@link SQLException} (the driver's own),
     * is {@link #CONNECTION}; anything else is {@link #UNKNOWN}. An I/O error thrown by the
     * application's own code is not a database failure and stays {@link #UNKNOWN}. A
     * {@link dev.warden.WardenException} keeps the kind it already has.
     */
    public static ErrorKind of(Throwable error) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        boolean underSql = false;
        for (Throwable t = error; t != null && seen.put(t, Boolean.TRUE) == null; t = t.getCause()) {
            if (t instanceof dev.warden.WardenException w && w.kind() != UNKNOWN) {
                return w.kind();
            }
            if (t instanceof SQLException sql) {
                if (sql.getSQLState() == null && HIKARI_CLOSED.equals(sql.getMessage())) {
                    return CONNECTION; // HikariCP's proxy after the pool closed or evicted it: no SQLState
                }
                ErrorKind byState = ofSqlState(sql.getSQLState());
                if (byState != null) {
                    return byState;
                }
                if (sql instanceof SQLNonTransientConnectionException
                        || sql instanceof SQLTransientConnectionException
                        || sql instanceof SQLRecoverableException) {
                    return CONNECTION;
                }
                underSql = true;
            } else if (underSql && t instanceof IOException) {
                return CONNECTION;
            }
        }
        return UNKNOWN;
    }

    /**
     * True when the server is there but refuses new connections for now (SQLState 53300 "too many
     * connections", 57P03 "cannot connect now", e.g. starting up or in recovery), anywhere along the
     * cause chain. Such a failure is {@link #CONNECTION} (worth retrying with backoff when connecting)
     * but not an outage while the connections already open keep working.
     */
    public static boolean refusesNewConnections(Throwable error) {
        String state = sqlState(error);
        return "53300".equals(state) || "57P03".equals(state);
    }

    /**
     * True when the server answered that it cannot write (SQLState 25006, read-only transaction):
     * it is a standby or a primary demoted in place. The connection is evicted; a read-write pool
     * with such a server is not READY.
     */
    public static boolean readOnlyServer(Throwable error) {
        return "25006".equals(sqlState(error));
    }

    /** The first SQLState along the cause chain (at most 20 causes deep), or null. */
    public static String sqlState(Throwable error) {
        int depth = 0;
        for (Throwable t = error; t != null && depth < 20; t = t.getCause(), depth++) {
            if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }

    /** The kind for a SQLState, or null when the state says nothing Warden classifies. */
    public static ErrorKind ofSqlState(String state) {
        if (state == null || state.length() != 5) {
            return null;
        }
        if (state.startsWith("08")) {
            return CONNECTION;
        }
        return switch (state) {
            // 57P01-57P05: admin/crash shutdown, cannot connect now, idle session timeout;
            // 25P03: idle-in-transaction timeout; 53300: too many connections;
            // 25006: a read-only server (standby or demoted primary) where a write was expected.
            case "57P01", "57P02", "57P03", "57P04", "57P05", "25P03", "53300", "25006" -> CONNECTION;
            case "40001" -> SERIALIZATION;
            case "40P01" -> DEADLOCK;
            case "57014", "55P03" -> TIMEOUT;
            default -> switch (state.substring(0, 2)) {
                case "23" -> CONSTRAINT;
                case "22", "42" -> DATA;
                default -> null;
            };
        };
    }
}
