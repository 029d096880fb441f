package dev.warden.tx;

import java.sql.Connection;
import java.sql.Savepoint;

/**
 * The running transaction, handed to the work. Its {@link #connection()} is the only way to the
 * database inside the work; Warden commits when the work returns and rolls back when it throws.
 */
public interface Tx {

    /**
     * The transaction's connection. Commit, rollback, auto-commit and isolation belong to Warden:
     * calling {@code commit()}, {@code rollback()} or {@code setAutoCommit(true)} on it throws
     * {@link IllegalStateException}; {@code close()} does nothing (Warden returns the connection).
     */
    Connection connection();

    /** Marks a point the transaction can roll back to with {@link #rollbackTo(Savepoint)}. One statement. */
    Savepoint savepoint(String name);

    /** Undoes everything since the savepoint; the transaction goes on. */
    void rollbackTo(Savepoint savepoint);

    /**
     * Runs {@code work} inside a savepoint: when it throws, only its own changes are undone, the
     * error is rethrown, and the transaction stays usable if the caller catches it.
     */
    <T> T savepoint(String name, TxWork<T> work);

    /**
     * Runs {@code callback} once the transaction has committed, never when it rolls back. Callbacks
     * run in the order added; one that throws is logged and does not stop the others or change the
     * outcome (the data is committed by then).
     */
    void afterCommit(Runnable callback);

    /** Makes the transaction roll back at the end even though the work returns normally. */
    void setRollbackOnly();

    /** Which run of the work this is: 1 the first time, 2 after one retry, and so on. */
    int attempt();

    /** The label given with {@code transaction().label(…)}, or {@code "tx"}. */
    String label();
}
