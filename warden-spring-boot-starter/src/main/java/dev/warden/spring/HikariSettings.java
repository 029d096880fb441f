package dev.warden.spring;

import dev.warden.WardenConfig;
import dev.warden.spring.SpringWardenConfig.Bound;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;

/**
 * {@code spring.datasource.hikari.*}, never silently ignored: Warden runs its own HikariCP pool, so
 * the settings it has are honoured and every other one stops the start, named.
 * <ul>
 *   <li>{@code maximum-pool-size} → {@code warden.pool.max-size};</li>
 *   <li>{@code connection-timeout} (milliseconds, as HikariCP takes it) → {@code warden.pool.acquire-timeout};</li>
 *   <li>{@code read-only} → {@code warden.pool.read-only};</li>
 *   <li>{@code minimum-idle}: accepted only equal to the pool size (Warden's pool is fixed);</li>
 *   <li>anything else (idle-timeout, max-lifetime, keepalive-time, auto-commit, pool-name,
 *       data-source-properties…): refused, Warden sets it itself (docs/configuration.md).</li>
 * </ul>
 * A {@code warden.*} property and its HikariCP twin set to different values is refused too.
 */
final class HikariSettings {

    static final String PREFIX = "spring.datasource.hikari";
    private static final String POOL_SIZE = "WARDEN_POOL_MAX_SIZE";
    private static final String ACQUIRE_TIMEOUT = "WARDEN_POOL_ACQUIRE_TIMEOUT";
    /** HikariCP property → Warden variable. */
    private static final Map<String, String> MAPPED = new LinkedHashMap<>();

    static {
        MAPPED.put("maximum-pool-size", POOL_SIZE);
        MAPPED.put("connection-timeout", ACQUIRE_TIMEOUT);
        MAPPED.put("read-only", "WARDEN_POOL_READ_ONLY");
    }

    private static final String MINIMUM_IDLE = "minimum-idle";

    private HikariSettings() {
    }

    /** Adds the honoured settings to {@code values} (unless a {@code warden.*} property set them) and every refusal to {@code problems}. */
    static void apply(Binder binder, Map<String, String> values, Map<String, Bound> from, List<String> problems) {
        Map<String, String> all = binder.bind(PREFIX, Bindable.mapOf(String.class, String.class)).orElse(Map.of());
        for (String key : all.keySet()) {
            String k = relaxed(key);
            if (MAPPED.keySet().stream().noneMatch(m -> relaxed(m).equals(k)) && !relaxed(MINIMUM_IDLE).equals(k)) {
                problems.add(PREFIX + "." + key + " is not supported: Warden runs its own HikariCP pool and sets"
                        + " this itself (docs/configuration.md, \"The pool Warden runs\"); it honours "
                        + PREFIX + ".maximum-pool-size, .connection-timeout, .read-only and .minimum-idle (equal to"
                        + " the pool size). Remove it, or use a warden.* property (docs/spring.md)");
            }
        }
        for (Map.Entry<String, String> m : MAPPED.entrySet()) {
            Bound b = SpringWardenConfig.bind(binder, PREFIX + "." + m.getKey());
            if (b == null) {
                continue;
            }
            String variable = m.getValue();
            String value = variable.equals(ACQUIRE_TIMEOUT) && b.value().trim().matches("\\d+")
                    ? b.value().trim() + "ms" : b.value().trim();
            Bound own = from.get(variable);
            if (own == null) {
                values.put(variable, value);
                from.put(variable, new Bound(b.property(), value, b.origin()));
            } else if (!own.value().trim().equalsIgnoreCase(value)) {
                problems.add(own.where() + " is \"" + own.value() + "\" but " + b.where() + " is \"" + b.value()
                        + "\": set one of them");
            }
        }
        Bound idle = SpringWardenConfig.bind(binder, PREFIX + "." + MINIMUM_IDLE);
        if (idle != null) {
            String size = values.getOrDefault(POOL_SIZE, WardenConfig.variables().get(POOL_SIZE)).trim();
            if (!idle.value().trim().equals(size)) {
                problems.add(idle.where() + " is \"" + idle.value() + "\": Warden's pool has a fixed size (minimum-idle"
                        + " = maximum-pool-size = " + size + "); remove it or set it to " + size);
            }
        }
    }

    private static String relaxed(String name) {
        return name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    }
}
