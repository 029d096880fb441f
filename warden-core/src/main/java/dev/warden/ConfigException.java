package dev.warden;

import java.util.List;

/**
 * Thrown when a configuration value is invalid. The message names every bad variable, the value it
 * had and the rule it broke, one per line, so that all mistakes can be fixed in one go.
 */
public final class ConfigException extends WardenException {

    private final List<String> problems;

    /** A configuration error with these problems, each naming its variable, value and rule. */
    public ConfigException(List<String> problems) {
        super(problems.size() == 1
                ? "Invalid Warden configuration: " + problems.get(0)
                : "Invalid Warden configuration:\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    /** Each problem on its own, e.g. {@code WARDEN_POOL_MAX_SIZE must be an integer from 1 to 1000, got "abc"}. */
    public List<String> problems() {
        return problems;
    }
}
