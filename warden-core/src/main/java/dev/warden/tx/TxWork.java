package dev.warden.tx;

/**
 * The work of one transaction, returning a value. It may throw anything: any throwable rolls the
 * transaction back. It may run more than once when Warden retries a transient failure, so it must
 * not have effects outside the database; put those in {@link Tx#afterCommit(Runnable)}.
 *
 * @param <T> the result
 */
@FunctionalInterface
public interface TxWork<T> {
    T run(Tx tx) throws Exception;
}
