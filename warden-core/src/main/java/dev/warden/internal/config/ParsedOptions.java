package dev.warden.internal.config;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** A builder's options parsed: a value that does not parse is a problem and stands in as its default. */
public final class ParsedOptions {

    private final Function<Opt<?>, String> raw;
    /** Problems found so far: parse failures, credential conflicts, then the rules' problems as written. */
    public final List<String> problems = new ArrayList<>();
    private final List<Opt<?>> unparsed = new ArrayList<>();

    public ParsedOptions(Function<Opt<?>, String> raw) {
        this.raw = raw;
    }

    /** The option's value; its default when it does not parse (the problem is kept). */
    public <T> T get(Opt<T> opt) {
        T value = opt.parse(raw.apply(opt), problems);
        if (value == null) {
            unparsed.add(opt);
            value = opt.parser().apply(opt.defaultRaw());
        }
        return value;
    }

    /**
     * The option's value, its rule checked here: for values that go into a type that checks itself
     * ({@code RetryPolicy}); the default stands in for a value that breaks the rule.
     */
    public <T> T checked(Opt<T> opt) {
        T value = get(opt);
        if (!unparsed.contains(opt) && !opt.valid().test(value)) {
            problems.add(opt.problem(raw.apply(opt)));
            unparsed.add(opt);
            value = opt.parser().apply(opt.defaultRaw());
        }
        return value;
    }

    /** A rule's problem, with the value as the user wrote it; none for an option that did not parse. */
    public void addAsWritten(String problem) {
        for (Opt<?> opt : Options.ALL) {
            if (problem.startsWith(opt.env() + " must be ") || problem.startsWith(opt.env() + " must not be ")) {
                if (unparsed.contains(opt)) {
                    return;
                }
                int got = problem.lastIndexOf(", got \"");
                if (got >= 0 && problem.endsWith("\"") && !opt.equals(Options.DB_URL)) {
                    problem = problem.substring(0, got) + ", got \"" + Options.shown(opt.env(), raw.apply(opt)) + "\"";
                }
                break;
            }
        }
        if (!problems.contains(problem)) {
            problems.add(problem);
        }
    }

    /** True when a value did not parse or a credential conflicts. */
    public boolean any() {
        return !problems.isEmpty();
    }
}
