package dev.warden;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * A read-only view of one Warden's lifecycle: its state, history and start-up progress. Only Warden
 * moves the state; a caller can watch it, never change it.
 */
public interface Lifecycle {

    /** The current state (a volatile read). */
    State state();

    /** Why the current state was entered (the cause of the last transition). */
    String why();

    /** When the current state was entered. */
    Instant since();

    /**
     * Calls {@code listener} with every later transition, in order, on the thread that makes it and
     * while the state cannot change again: it must be quick and must not wait for Warden.
     */
    void addListener(Consumer<Transition> listener);

    /** The last transitions (at most 50), oldest first. */
    List<Transition> history();

    /** How many times {@code from -> to} happened. */
    long transitionCount(State from, State to);

    /** What start-up is doing now, for the startup probe. */
    String progress();

    /** Work refused because Warden was not READY yet (or no longer running). */
    long refusedNotReady();

    /** Work refused at once because the database was unreachable (DEGRADED). */
    long refusedUnavailable();

    /** Waits until READY; false when the timeout passed first, or Warden failed or stopped. */
    boolean awaitReady(Duration timeout);
}
