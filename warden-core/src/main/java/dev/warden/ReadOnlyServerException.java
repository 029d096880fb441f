package dev.warden;

import java.sql.SQLException;

/**
 * The probe reached the server but it cannot take writes: it is in recovery (a standby) or its
 * transactions are read-only (a primary demoted in place, {@code default_transaction_read_only}).
 * SQLState 25006, as a write on it would fail. A read-write pool is not READY while this holds.
 */
public final class ReadOnlyServerException extends SQLException {

    /** @param detail what the server said: in recovery, or transaction_read_only on */
    public ReadOnlyServerException(String detail) {
        super("the server is read-only (" + detail + "): a standby or a demoted primary, and this pool writes", "25006");
    }
}
