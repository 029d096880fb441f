package dev.warden.tx;

/** The work of one transaction that returns nothing; see {@link TxWork} for the rules. */
@FunctionalInterface
public interface TxAction {
    void run(Tx tx) throws Exception;
}
