package dev.warden;


/**
 * A transaction failed and was rolled back: nothing it wrote is in the database. Carries the
 * {@link ErrorKind}, the SQLState (when the database gave one), how many runs were made and the
 * transaction's label.
 */
public class TransactionException extends WardenException {

    private final String sqlState;
    private final int attempts;
    private final String label;

    public TransactionException(String message, ErrorKind kind, String sqlState, int attempts, String label,
                                Throwable cause) {
        super(message, kind, cause);
        this.sqlState = sqlState;
        this.attempts = attempts;
        this.label = label;
    }

    /** The SQLState the database reported, or null. */
    public String sqlState() {
        return sqlState;
    }

    /** How many times the work ran, 1 when it was not retried. */
    public int attempts() {
        return attempts;
    }

    /** The label given with {@code transaction().label(…)}, or {@code "tx"}. */
    public String label() {
        return label;
    }
}
