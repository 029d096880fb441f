package dev.warden;


/**
 * Work was submitted while Warden was not READY (not started yet, still starting, stopped or
 * failed). Nothing ran. Retry later; an HTTP service answers 503 with Retry-After.
 */
public final class NotReadyException extends WardenException {

    private final State state;

    public NotReadyException(State state, String message) {
        super(message);
        this.state = state;
    }

    /** The state Warden was in when the work was refused. */
    public State state() {
        return state;
    }
}
