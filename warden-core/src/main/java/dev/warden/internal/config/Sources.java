package dev.warden.internal.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;

/**
 * Where a builder's raw values come from, in order of precedence: explicit builder calls, system
 * properties ({@code warden.pool.max.size}), environment variables ({@code WARDEN_POOL_MAX_SIZE}),
 * an application's own defaults, then Warden's.
 */
public final class Sources {

    private final Map<String, String> env;
    private final Properties properties;
    private final Map<String, String> explicit = new HashMap<>();
    private final Map<String, String> defaults = new HashMap<>();

    public Sources(Map<String, String> env, Properties properties) {
        this.env = env;
        this.properties = properties;
    }

    /** These sources with other variables in place of the environment, and no system properties. */
    public Sources withEnvironment(Map<String, String> variables) {
        Sources s = new Sources(Map.copyOf(variables), new Properties());
        s.explicit.putAll(explicit);
        s.defaults.putAll(defaults);
        return s;
    }

    /** Sets an option explicitly (a builder call). */
    public void set(Opt<?> opt, String raw) {
        explicit.put(opt.env(), Objects.requireNonNull(raw, opt.env()));
    }

    /**
     * An application's own defaults, keyed by variable name.
     *
     * @throws IllegalArgumentException for a name that is not one of {@link Options#variables()}
     */
    public void defaults(Map<String, String> variables) {
        Set<String> known = Options.variables().keySet();
        for (Map.Entry<String, String> e : variables.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw new IllegalArgumentException("Not a Warden variable: " + e.getKey()
                        + " (known: " + String.join(", ", known) + ")");
            }
            defaults.put(e.getKey(), Objects.requireNonNull(e.getValue(), e.getKey()));
        }
    }

    /** The raw value that wins. */
    public String raw(Opt<?> opt) {
        String v = explicit.get(opt.env());
        v = v != null ? v : properties.getProperty(opt.property());
        v = v != null ? v : env.get(opt.env());
        v = v != null ? v : defaults.get(opt.env());
        return v == null ? opt.defaultRaw() : v;
    }

    /** True when a builder call, system property or environment variable sets it (an application default does not). */
    public boolean isSet(Opt<?> opt) {
        return explicit.containsKey(opt.env()) || properties.getProperty(opt.property()) != null
                || env.get(opt.env()) != null;
    }
}
