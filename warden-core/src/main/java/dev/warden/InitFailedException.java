package dev.warden;


/** The epoch could not be initialised: it failed too often, or did not finish within {@code WARDEN_INIT_TIMEOUT}. */
public final class InitFailedException extends WardenException {
    public InitFailedException(String message, Throwable cause) {
        super(message, cause == null ? ErrorKind.UNKNOWN : ErrorKind.of(cause), cause);
    }
}
