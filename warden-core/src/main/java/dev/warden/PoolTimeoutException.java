package dev.warden;

import java.sql.SQLTransientConnectionException;

/**
 * Every pooled connection stayed in use for the whole acquire timeout ({@code WARDEN_POOL_ACQUIRE_TIMEOUT}):
 * the pool is busy, the database is not known to be down. It is HikariCP's own timeout (counted once
 * in {@code hikaricp_connections_timeout_total}), kept as the cause; Warden does not probe because
 * of it and transactions do not retry it.
 */
public final class PoolTimeoutException extends SQLTransientConnectionException {

    private static final long serialVersionUID = 1L;

    /** Wraps HikariCP's timeout, keeping its message and SQLState. */
    public PoolTimeoutException(SQLTransientConnectionException hikariTimeout) {
        super(hikariTimeout.getMessage() + " (the pool is busy: every connection stayed in use for the whole"
                + " acquire timeout, WARDEN_POOL_ACQUIRE_TIMEOUT; this is not a database outage)",
                hikariTimeout.getSQLState(), hikariTimeout.getErrorCode(), hikariTimeout);
    }
}
