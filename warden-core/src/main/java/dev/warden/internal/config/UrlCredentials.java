package dev.warden.internal.config;

import dev.warden.Secret;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code user} and {@code password} parameters of a JDBC URL, and the URL without them. Warden
 * hands the pool and the driver a URL that carries no credential, and the credentials apart, so that
 * no URL it logs, reports or puts in an exception can carry a password, whatever the driver or the
 * pool does with it.
 *
 * @param url      the URL without {@code user=} and {@code password=} parameters
 * @param user     the URL's user, when it names one
 * @param password the URL's password, when it has one
 */
public record UrlCredentials(String url, Optional<String> user, Secret password) {

    /** Splits {@code jdbcUrl}; values are decoded as pgjdbc decodes them ({@code %xx}, {@code +}). */
    public static UrlCredentials of(String jdbcUrl) {
        int q = jdbcUrl.indexOf('?');
        if (q < 0) {
            return new UrlCredentials(jdbcUrl, Optional.empty(), Secret.of(""));
        }
        List<String> kept = new ArrayList<>();
        String user = null;
        String password = null;
        for (String param : jdbcUrl.substring(q + 1).split("&")) {
            int eq = param.indexOf('=');
            String name = (eq < 0 ? param : param.substring(0, eq)).toLowerCase(Locale.ROOT);
            String value = eq < 0 ? "" : param.substring(eq + 1);
            if (name.equals("user")) {
                user = decode(value);
            } else if (name.equals("password")) {
                password = decode(value);
            } else if (!param.isEmpty()) {
                kept.add(param);
            }
        }
        String base = jdbcUrl.substring(0, q);
        return new UrlCredentials(kept.isEmpty() ? base : base + "?" + String.join("&", kept),
                Optional.ofNullable(user).filter(u -> !u.isEmpty()), Secret.of(password));
    }

    private static String decode(String value) {
        try {
            return URLDecoder.decode(value, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException badEscape) {
            return value; // pgjdbc would refuse the URL; the value is kept as written, never shown
        }
    }
}
