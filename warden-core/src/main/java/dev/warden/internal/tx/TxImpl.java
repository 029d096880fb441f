package dev.warden.internal.tx;

import dev.warden.tx.Isolation;
import dev.warden.tx.Tx;
import dev.warden.tx.TxWork;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.core.BaseConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One run of a transaction's work: its connection, savepoints, callbacks and rollback marks. */
final class TxImpl implements Tx {

    private static final Logger log = LoggerFactory.getLogger(Transactions.class);

    final Connection raw;
    /** The driver's connection when it is pgjdbc (transaction state readable locally), else null. */
    final BaseConnection pg;
    final boolean readOnly;
    final Isolation isolation;
    private final int attempt;
    private final String label;
    private TxConnection wrapped;
    private List<Runnable> afterCommit;
    boolean rollbackOnly;
    /** Set when a joined inner call failed: the outer transaction must not commit. */
    Throwable innerFailure;

    TxImpl(Connection raw, BaseConnection pg, boolean readOnly, Isolation isolation, int attempt, String label) {
        this.raw = raw;
        this.pg = pg;
        this.readOnly = readOnly;
        this.isolation = isolation;
        this.attempt = attempt;
        this.label = label;
    }

    @Override
    public Connection connection() {
        TxConnection c = wrapped;
        if (c == null) {
            c = wrapped = new TxConnection(raw, pg);
        }
        return c;
    }

    @Override
    public Savepoint savepoint(String name) {
        try {
            return raw.setSavepoint(name);
        } catch (SQLException e) {
            throw Transactions.wrap("Could not set savepoint '" + name + "'", e, attempt, label);
        }
    }

    @Override
    public void rollbackTo(Savepoint savepoint) {
        try {
            raw.rollback(savepoint);
        } catch (SQLException e) {
            throw Transactions.wrap("Could not roll back to savepoint", e, attempt, label);
        }
    }

    @Override
    public <T> T savepoint(String name, TxWork<T> work) {
        Savepoint sp = savepoint(name);
        T result;
        try {
            result = work.run(this);
        } catch (Throwable t) {
            try {
                raw.rollback(sp);
            } catch (SQLException e) {
                t.addSuppressed(e);
            }
            throw Transactions.rethrow(t, attempt, label);
        }
        try {
            raw.releaseSavepoint(sp);
        } catch (SQLException e) {
            throw Transactions.wrap("Could not release savepoint '" + name + "'", e, attempt, label);
        }
        return result;
    }

    @Override
    public void afterCommit(Runnable callback) {
        if (callback == null) {
            throw new NullPointerException("callback");
        }
        if (afterCommit == null) {
            afterCommit = new ArrayList<>(2);
        }
        afterCommit.add(callback);
    }

    void runAfterCommit() {
        if (afterCommit == null) {
            return;
        }
        for (Runnable callback : afterCommit) {
            try {
                callback.run();
            } catch (RuntimeException | Error e) {
                // The data is committed; failing the call now would invite a retry that applies it twice.
                log.warn("afterCommit callback of transaction '{}' failed after a successful commit: {}", label, e.toString());
            }
        }
    }

    /** Why a statement of the work ended the transaction, or null. */
    String endedBySql() {
        TxConnection c = wrapped;
        return c == null ? null : c.endedBySql();
    }

    @Override
    public void setRollbackOnly() {
        rollbackOnly = true;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public String label() {
        return label;
    }
}
