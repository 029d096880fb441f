package dev.warden;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where Warden connects and as whom.
 *
 * @param url            JDBC URL ({@code WARDEN_DB_URL}) without its {@code user} and {@code password}
 *                       parameters (moved to {@code user} and {@code password}); empty: the embedded PostgreSQL
 * @param user           database user ({@code WARDEN_DB_USER}, else the URL's {@code user}, else {@code postgres})
 * @param password       database password ({@code WARDEN_DB_PASSWORD}, else the URL's {@code password}); never shown
 * @param connectTimeout longest wait to open a connection ({@code WARDEN_DB_CONNECT_TIMEOUT})
 * @param socketTimeout  longest wait for any answer from the server ({@code WARDEN_DB_SOCKET_TIMEOUT})
 * @param initUrl        a URL straight to the server, past a pooler, for the initialisation only
 *                       ({@code WARDEN_INIT_DB_URL}); empty: the initialisation uses {@code url}
 * @param embedded       the embedded PostgreSQL, used when {@code url} is empty
 */
public record DatabaseSettings(Optional<String> url, String user, Secret password, Duration connectTimeout,
                               Duration socketTimeout, String initUrl, Embedded embedded) {
    public DatabaseSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(initUrl, "initUrl");
        Objects.requireNonNull(embedded, "embedded");
    }

    /** Shows every value, URLs masked, the password as {@code ****}. */
    @Override
    public String toString() {
        return WardenConfig.describe(this);
    }

    /**
     * The embedded PostgreSQL that Warden starts when no {@code WARDEN_DB_URL} is set.
     *
     * @param dir  its data directory ({@code WARDEN_EMBEDDED_DIR})
     * @param port its port, 0 for any free one ({@code WARDEN_EMBEDDED_PORT})
     */
    public record Embedded(Path dir, int port) {
        public Embedded {
            Objects.requireNonNull(dir, "dir");
        }
    }
}
