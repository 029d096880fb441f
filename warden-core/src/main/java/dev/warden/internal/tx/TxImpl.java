package dev.warden.internal.tx;

import dev.warden.ErrorKind;
import dev.warden.tx.Isolation;
import dev.warden.tx.Tx;
import dev.warden.tx.TxOptions;
import dev.warden.tx.TxWork;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.core.BaseConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One transaction, from its first attempt to its last: its options and work (it is the attempt that
 * {@link RetryLoop} runs, and the translator of its last failure), and per attempt its connection,
 * savepoints, callbacks and rollback marks. One object per transaction: the path allocates nothing
 * else of its own but the connection and statement wrappers the work asks for.
 */
final class TxImpl<R> implements Tx, RetryLoop.Attempt<R>, RetryLoop.Translator {

    private static final Logger log = LoggerFactory.getLogger(Transactions.class);

    private final Transactions owner;
    final TxOptions options;
    final TxWork<R> work;
    /** The failure of the last attempt that got a connection and ran the work, or null. */
    Throwable lastRan;

    // per attempt, set by start()
    Connection raw;
    /** The driver's connection when it is pgjdbc (transaction state readable locally), else null. */
    BaseConnection pg;
    private int attempt;
    private TxConnection wrapped;
    private List<Runnable> afterCommit;
    boolean rollbackOnly;
    /** Set when a joined inner call failed: the outer transaction must not commit. */
    Throwable innerFailure;

    TxImpl(Transactions owner, TxOptions options, TxWork<R> work) {
        this.owner = owner;
        this.options = options;
        this.work = work;
    }

    /** Starts attempt {@code number} on {@code raw}: nothing of an earlier attempt carries over. */
    void start(Connection raw, BaseConnection pg, int number) {
        this.raw = raw;
        this.pg = pg;
        this.attempt = number;
        this.wrapped = null;
        this.afterCommit = null;
        this.rollbackOnly = false;
        this.innerFailure = null;
    }

    @Override
    public R run(int number) throws RetryLoop.Failed {
        return owner.attempt(this, number);
    }

    @Override
    public RuntimeException translate(Throwable error, ErrorKind kind, int attempts) {
        return TxFailures.rethrow(error, kind, attempts, options.label());
    }

    boolean readOnly() {
        return options.readOnly();
    }

    Isolation isolation() {
        return options.isolation();
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
            throw TxFailures.wrap("Could not set savepoint '" + name + "'", e, attempt, options.label());
        }
    }

    @Override
    public void rollbackTo(Savepoint savepoint) {
        try {
            raw.rollback(savepoint);
        } catch (SQLException e) {
            throw TxFailures.wrap("Could not roll back to savepoint", e, attempt, options.label());
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
            throw TxFailures.rethrow(t, attempt, options.label());
        }
        try {
            raw.releaseSavepoint(sp);
        } catch (SQLException e) {
            throw TxFailures.wrap("Could not release savepoint '" + name + "'", e, attempt, options.label());
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
                log.warn("afterCommit callback of transaction '{}' failed after a successful commit: {}", options.label(), e.toString());
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
        return options.label();
    }
}
