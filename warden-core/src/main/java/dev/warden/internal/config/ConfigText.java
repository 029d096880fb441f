package dev.warden.internal.config;

import dev.warden.InitSettings;
import dev.warden.Secret;
import dev.warden.WardenConfig;
import dev.warden.tx.RetryPolicy;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** How a {@link WardenConfig} and its groups show themselves, and what its URL says: no password is ever shown. */
public final class ConfigText {

    private static final Pattern TARGET_SERVER_TYPE = Pattern.compile("(?i)[?&]targetServerType=([A-Za-z]+)");

    private ConfigText() {
    }

    /**
     * Every component of a {@link WardenConfig} or of one of its groups, durations as written
     * ({@code 5s}), URLs masked, the password as {@code ****}.
     */
    public static String describe(Record c) {
        StringJoiner out = new StringJoiner(", ", c.getClass().getSimpleName() + "[", "]");
        for (RecordComponent rc : c.getClass().getRecordComponents()) {
            Object v = value(c, rc);
            out.add(rc.getName() + "=" + (rc.getName().equals("initUrl") ? Options.maskUrl((String) v) : shown(v)));
        }
        return out.toString();
    }

    private static Object value(Record c, RecordComponent rc) {
        try {
            return rc.getAccessor().invoke(c);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("Cannot read " + rc.getName(), e);
        }
    }

    private static String shown(Object v) {
        return switch (v) {
            case Secret s -> s.isEmpty() ? "(none)" : "****";
            case Duration d -> Options.format(d);
            case Optional<?> o -> o.map(u -> Options.maskUrl(u.toString())).orElse("(embedded)");
            case RetryPolicy r -> r.maxAttempts() + " attempts, backoff " + Options.format(r.initialBackoff()) + ".."
                    + Options.format(r.maxBackoff()) + " x" + r.multiplier();
            case InitSettings i -> i.toString();
            case Record r -> describe(r);
            default -> String.valueOf(v);
        };
    }

    /**
     * True when the URL asks for a standby: {@code targetServerType} {@code standby}/{@code secondary}
     * or {@code preferStandby}/{@code preferSecondary}.
     */
    public static boolean asksForStandby(String url) {
        Matcher m = TARGET_SERVER_TYPE.matcher(url);
        if (!m.find()) {
            return false;
        }
        String t = m.group(1).toLowerCase(Locale.ROOT);
        return t.equals("standby") || t.equals("secondary") || t.equals("slave") || t.equals("preferstandby")
                || t.equals("prefersecondary") || t.equals("preferslave");
    }
}
