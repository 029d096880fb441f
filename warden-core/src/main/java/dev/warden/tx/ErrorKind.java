package dev.warden.tx;

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
    /** The connection failed or could not be made: SQLState 08xxx, 57P01-57P03, I/O errors. */
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

    /** The kind for a SQLState, or null when the state says nothing Warden classifies. */
    public static ErrorKind ofSqlState(String state) {
        if (state == null || state.length() != 5) {
            return null;
        }
        if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) {
            return CONNECTION;
        }
        return switch (state) {
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
