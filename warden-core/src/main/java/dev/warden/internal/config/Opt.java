package dev.warden.internal.config;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One option of the table in {@link Options}: its variable, default, rule text, parser and rule.
 *
 * @param env        the environment variable, e.g. {@code WARDEN_POOL_MAX_SIZE}
 * @param defaultRaw the default, written as a user would write it
 * @param rule       what a value must be, for error messages ("an integer from 1 to 1000")
 * @param parser     text to value; throws on text that is not of the option's form
 * @param valid      the rule on a parsed value (range, pattern)
 */
public record Opt<T>(String env, String defaultRaw, String rule, Function<String, T> parser, Predicate<T> valid) {

    /** The system property spelling: {@code WARDEN_POOL_MAX_SIZE} → {@code warden.pool.max.size}. */
    public String property() {
        return env.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /**
     * Parses a raw value; text that is not of the option's form is a problem and gives null. The rule
     * on the value is not checked here but by {@link ConfigRules}, once, for every way a config is made.
     */
    public T parse(String raw, List<String> problems) {
        try {
            return parser.apply(raw.trim());
        } catch (RuntimeException badFormat) {
            problems.add(problem(raw));
            return null;
        }
    }

    /** Adds the problem when {@code value} breaks the rule; {@code shown} is the value as the message shows it. */
    public void check(T value, String shown, List<String> problems) {
        if (value == null || !valid.test(value)) {
            problems.add(problem(shown));
        }
    }

    /** {@code ENV must be RULE, got "VALUE"}, the value masked where it may hold a secret. */
    public String problem(String shown) {
        return env + " must be " + rule + ", got \"" + Options.shown(env, shown) + "\"";
    }
}
