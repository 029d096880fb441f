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

    /**
     * Figures judged by a {@link Verdict}, whose summary is the figures themselves as indented JSON
     * followed by the verdict line (the Patroni and PgBouncer drills).
     */
    interface Judged extends DrillFigures {

        /** The targets missed, and whether the drill passed. */
        Verdict verdict();

        @Override
        default boolean passed() {
            return verdict().pass();
        }

        @Override
        default String summary() {
            return JsonOutput.toPrettyJson(this) + "\n" + DrillFigures.verdict(verdict().pass(), verdict().failedTargets());
        }
    }
}
