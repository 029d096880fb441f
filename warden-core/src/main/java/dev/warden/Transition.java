package dev.warden;

import java.time.Instant;

/**
 * One change of lifecycle state, as kept in the history and shown in the health report.
 *
 * @param at    when it happened
 * @param from  the state left
 * @param to    the state entered
 * @param cause why, in words (never a secret)
 */
public record Transition(Instant at, State from, State to, String cause) {
}
