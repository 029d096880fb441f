package dev.warden;

/**
 * How many times one transition happened since start, as the health report lists them.
 *
 * @param from  the state left
 * @param to    the state entered
 * @param count how many times
 */
public record TransitionCount(State from, State to, long count) {
}
