package dev.warden;


/** The init lock was lost (lease expired, session died, or a newer holder took over): the holder must stop. */
public final class LeaseLostException extends WardenException {
    public LeaseLostException(String message) {
        super(message, ErrorKind.UNKNOWN, null);
    }

    public LeaseLostException(String message, Throwable cause) {
        super(message, ErrorKind.UNKNOWN, cause);
    }
}
