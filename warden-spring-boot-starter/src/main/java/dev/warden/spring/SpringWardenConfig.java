package dev.warden.spring;

import dev.warden.ConfigException;
import dev.warden.WardenConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.bind.AbstractBindHandler;
import org.springframework.boot.context.properties.bind.BindContext;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.core.env.Environment;
import org.springframework.core.io.DefaultResourceLoader;

/**
 * Reads Warden's configuration from a Spring {@link Environment} through Spring's {@link Binder}, so
 * Spring's relaxed names work. The one class that knows Warden's option table
 * ({@link WardenConfig#variables()}): every {@code WARDEN_*} variable is a property whose name is
 * derived from the variable ({@link #property(String)}): {@code WARDEN_POOL_MAX_SIZE} →
 * {@code warden.pool.max-size}, also written {@code warden.pool.maxSize}, {@code WARDEN_POOL_MAX_SIZE}
 * (the variable itself, through Spring's environment) or, Warden's system-property spelling,
 * {@code warden.pool.max.size}. Same defaults, same validation, done by
 * {@link WardenConfig.Builder#build()}; a bad value stops the start with Warden's message, naming the
 * property, where it was set, the value and the rule. Spring Boot's own settings fill what
 * {@code warden.*} leaves unset:
 * <ul>
 *   <li>{@code spring.datasource.url}, {@code .username}, {@code .password} when {@code warden.db.url}
 *       is unset (neither set: the embedded PostgreSQL);</li>
 *   <li>{@code spring.datasource.hikari.*}: see {@link HikariSettings};</li>
 *   <li>{@code spring.flyway.locations} when {@code warden.migrations} is unset, else
 *       {@code classpath:db/migration} when that directory exists (Spring Boot's own default);</li>
 *   <li>{@code spring.application.name} when {@code warden.app-name} is unset.</li>
 * </ul>
 */
public final class SpringWardenConfig {

    static final String PREFIX = "warden";
    private static final String BOOT_MIGRATIONS = "classpath:db/migration";
    private static final Pattern VARIABLE = Pattern.compile("\\bWARDEN_[A-Z0-9_]+\\b");
    /** Variable → property, in the table's order. */
    private static final Map<String, String> PROPERTIES = derive(WardenConfig.variables().keySet());

    private SpringWardenConfig() {
    }

    /**
     * The Spring property of a variable. The variable without {@code WARDEN_} is split at its
     * underscores; when its first word is shared by several variables (db, pool, retry, tx, embedded,
     * monitor, init) that word is a group and the rest is joined with dashes
     * ({@code WARDEN_POOL_MAX_SIZE} → {@code warden.pool.max-size}), else all of it is
     * ({@code WARDEN_READY_WAIT} → {@code warden.ready-wait}).
     *
     * @throws IllegalArgumentException for a name that is not one of {@link WardenConfig#variables()}
     */
    public static String property(String variable) {
        String p = PROPERTIES.get(variable);
        if (p == null) {
            throw new IllegalArgumentException("Not a Warden variable: " + variable);
        }
        return p;
    }

    /** Every variable with its Spring property, in the order of Warden's option table. */
    public static Map<String, String> properties() {
        return Collections.unmodifiableMap(PROPERTIES);
    }

    /** Warden's system-property spelling, also read: {@code WARDEN_POOL_MAX_SIZE} → {@code warden.pool.max.size}. */
    static String dotted(String variable) {
        return variable.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    private static Map<String, String> derive(Iterable<String> variables) {
        Map<String, Integer> firstWords = new HashMap<>();
        for (String v : variables) {
            String[] words = words(v);
            if (words.length > 1) {
                firstWords.merge(words[0], 1, Integer::sum);
            }
        }
        Map<String, String> names = new LinkedHashMap<>();
        for (String v : variables) {
            String[] words = words(v);
            String name = words.length > 1 && firstWords.getOrDefault(words[0], 0) > 1
                    ? words[0] + "." + String.join("-", List.of(words).subList(1, words.length))
                    : String.join("-", words);
            names.put(v, PREFIX + "." + name);
        }
        return names;
    }

    private static String[] words(String variable) {
        String rest = variable.startsWith("WARDEN_") ? variable.substring("WARDEN_".length()) : variable;
        return rest.toLowerCase(Locale.ROOT).split("_");
    }

    /** A value bound from Spring's environment: the property it was bound as, and where it was set. */
    record Bound(String property, String value, Origin origin) {
        String where() {
            return origin == null ? property : property + " (" + originText() + ")";
        }

        /** Where it was set: {@code class path resource [application.properties] - 3:22}, {@code System Environment Property "WARDEN_POOL_MAX_SIZE"}… */
        String originText() {
            if (origin instanceof PropertySourceOrigin p && p.getPropertyName().equals(property)) {
                return "property source \"" + p.getPropertySource().getName() + "\"";
            }
            return String.valueOf(origin);
        }
    }

    /**
     * The configuration for this environment.
     *
     * @throws ConfigException naming each bad property, where it was set, its value and the rule it broke
     */
    public static WardenConfig from(Environment env) {
        Binder binder = Binder.get(env);
        Map<String, String> values = new HashMap<>();
        Map<String, Bound> from = new HashMap<>();
        for (String variable : PROPERTIES.keySet()) {
            Bound b = bind(binder, property(variable));
            if (b == null) {
                b = bind(binder, dotted(variable));
            }
            if (b != null) {
                values.put(variable, b.value());
                from.put(variable, b);
            }
        }
        List<String> problems = new ArrayList<>();
        HikariSettings.apply(binder, values, from, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        Map<String, String> defaults = new HashMap<>();
        if (!values.containsKey("WARDEN_DB_URL")) {
            defaultFrom(binder, "spring.datasource.url", "WARDEN_DB_URL", defaults, from);
            defaultFrom(binder, "spring.datasource.username", "WARDEN_DB_USER", defaults, from);
            defaultFrom(binder, "spring.datasource.password", "WARDEN_DB_PASSWORD", defaults, from);
        }
        if (!defaultFrom(binder, "spring.flyway.locations", "WARDEN_MIGRATIONS", defaults, from)
                && new DefaultResourceLoader().getResource(BOOT_MIGRATIONS + "/").exists()) {
            defaults.put("WARDEN_MIGRATIONS", BOOT_MIGRATIONS);
        }
        Bound appName = bind(binder, "spring.application.name");
        if (appName != null && appName.value().length() <= 63
                && appName.value().chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            defaultFrom(binder, "spring.application.name", "WARDEN_APP_NAME", defaults, from);
        }
        try {
            return WardenConfig.builder().environment(values).defaults(defaults).build();
        } catch (ConfigException e) {
            throw named(e, from);
        }
    }

    private static boolean defaultFrom(Binder binder, String property, String variable, Map<String, String> defaults,
            Map<String, Bound> from) {
        Bound b = bind(binder, property);
        if (b == null || b.value().isBlank()) {
            return false;
        }
        defaults.put(variable, b.value());
        from.putIfAbsent(variable, b);
        return true;
    }

    /**
     * The value of one property, relaxed names included; a list written with indexes
     * ({@code warden.schemas[0]=a}) is joined with commas, as the variables write lists.
     */
    static Bound bind(Binder binder, String property) {
        AtomicReference<Origin> origin = new AtomicReference<>();
        BindHandler handler = new AbstractBindHandler() {
            @Override
            public Object onSuccess(ConfigurationPropertyName name, Bindable<?> target, BindContext context,
                    Object result) {
                ConfigurationProperty p = context.getConfigurationProperty();
                if (p != null && origin.get() == null) {
                    origin.set(p.getOrigin());
                }
                return super.onSuccess(name, target, context, result);
            }
        };
        String value = binder.bind(property, Bindable.of(String.class), handler)
                .orElseGet(() -> binder.bind(property, Bindable.listOf(String.class), handler)
                        .map(l -> String.join(",", l)).orElse(null));
        return value == null ? null : new Bound(property, value, origin.get());
    }

    /** Warden's problems with each variable set through Spring named as the property the user wrote. */
    private static ConfigException named(ConfigException e, Map<String, Bound> from) {
        List<String> problems = new ArrayList<>();
        for (String problem : e.problems()) {
            Matcher m = VARIABLE.matcher(problem);
            StringBuilder out = new StringBuilder();
            Bound first = null;
            while (m.find()) {
                Bound b = from.get(m.group());
                if (first == null && b != null) {
                    first = b;
                }
                m.appendReplacement(out, Matcher.quoteReplacement(b == null ? m.group() : b.property()));
            }
            m.appendTail(out);
            if (first != null && first.origin() != null) {
                out.append(" (").append(first.originText()).append(')');
            }
            problems.add(out.toString());
        }
        return new ConfigException(problems);
    }
}
