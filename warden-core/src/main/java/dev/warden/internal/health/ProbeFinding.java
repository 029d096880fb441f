package dev.warden.internal.health;

import dev.warden.ProbeOutcome;
import java.util.Objects;

/**
 * The result of one probe: its outcome, and what was seen (for the log and the health report).
 *
 * @param outcome what the probe found
 * @param detail  what happened, e.g. the error, or null when the database simply answered
 */
public record ProbeFinding(ProbeOutcome outcome, String detail) {

    /** Checks the outcome. */
    public ProbeFinding {
        Objects.requireNonNull(outcome, "outcome");
    }

    static final ProbeFinding ANSWERED = new ProbeFinding(ProbeOutcome.ANSWERED, null);
}
