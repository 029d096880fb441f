package dev.warden.drill;

import java.util.List;

/**
 * What a drill measured, as a record whose components are its figures: {@link JsonOutput} prints it
 * as one JSON object (component names in snake_case) or as {@link #summary()}, and turns
 * {@link #passed()} into the exit code.
 */
public interface DrillFigures {

    /** True when every target of the drill holds: the command exits with 0, otherwise with 1. */
    boolean passed();

    /** The human summary, one or more lines. */
    String summary();

    /** The summary's last line: "PASS: every target holds", or "FAIL: " and the targets missed. */
    static String verdict(boolean pass, List<String> failedTargets) {
        return pass ? "PASS: every target holds" : "FAIL: " + failedTargets;
    }
}
