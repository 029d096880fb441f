package dev.warden.drill;

import java.util.List;

/** The targets a drill's figures missed, by name; {@code pass} when none did. */
public record Verdict(List<String> failedTargets, boolean pass) {

    /** The verdict on {@code failedTargets}: passes when the list is empty. */
    public static Verdict of(List<String> failedTargets) {
        return new Verdict(List.copyOf(failedTargets), failedTargets.isEmpty());
    }
}
