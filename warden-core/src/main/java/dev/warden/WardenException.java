package dev.warden;


/**
 * Root of every exception Warden throws. Each one says what happened and what to do about it, and
 * carries the {@link ErrorKind} of the database failure behind it where there is one.
 */
public class WardenException extends RuntimeException {

    private final ErrorKind kind;

    public WardenException(String message, ErrorKind kind, Throwable cause) {
        super(message, cause);
        this.kind = kind == null ? ErrorKind.UNKNOWN : kind;
    }

    public WardenException(String message) {
        this(message, ErrorKind.UNKNOWN, null);
    }

    /** The kind of failure; {@link ErrorKind#UNKNOWN} when it is not a database failure. */
    public ErrorKind kind() {
        return kind;
    }
}
