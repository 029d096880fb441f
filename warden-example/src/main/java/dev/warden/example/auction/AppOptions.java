package dev.warden.example.auction;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How the auction service runs, apart from the database: that is Warden's configuration
 * ({@code WARDEN_*}, see {@link AuctionApp#wardenConfig}), initialisation epoch included.
 *
 * @param host          interface to bind ({@code HOST}, default 127.0.0.1; 0.0.0.0 in a container)
 * @param port          HTTP port ({@code PORT}, default 8080; 0 for any free one)
 * @param replica       this process's name in logs, bids and {@code /info} ({@code REPLICA_NAME},
 *                      default {@code HOSTNAME} or {@code replica-<port>})
 * @param jwtSecret     HS256 key for bearer tokens ({@code AUCTION_JWT_SECRET}, at least 32 bytes;
 *                      random per process when unset, so replicas must share one)
 * @param tokenTtl      lifetime of a token ({@code AUCTION_TOKEN_TTL_SECONDS}, default 3600)
 * @param maxBodyBytes  largest accepted request body ({@code AUCTION_MAX_BODY_BYTES}, default 16384); more → 413
 * @param closeInterval how often due auctions are closed ({@code AUCTION_CLOSE_INTERVAL_MS}, default 1000)
 */
public record AppOptions(String host, int port, String replica, byte[] jwtSecret, Duration tokenTtl,
                         long maxBodyBytes, Duration closeInterval) {

    public AppOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(replica, "replica");
        Objects.requireNonNull(jwtSecret, "jwtSecret");
        Objects.requireNonNull(tokenTtl, "tokenTtl");
        Objects.requireNonNull(closeInterval, "closeInterval");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("PORT must be 0 to 65535, got " + port);
        }
        if (jwtSecret.length < 32) {
            throw new IllegalArgumentException("AUCTION_JWT_SECRET must be at least 32 bytes, got " + jwtSecret.length);
        }
        if (tokenTtl.isNegative() || tokenTtl.isZero()) {
            throw new IllegalArgumentException("AUCTION_TOKEN_TTL_SECONDS must be positive, got " + tokenTtl.toSeconds());
        }
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("AUCTION_MAX_BODY_BYTES must be at least 1024, got " + maxBodyBytes);
        }
        if (closeInterval.toMillis() < 10) {
            throw new IllegalArgumentException("AUCTION_CLOSE_INTERVAL_MS must be at least 10, got " + closeInterval.toMillis());
        }
    }

    /** Options from environment variables (see the parameters), with defaults. */
    public static AppOptions fromEnvironment() {
        return from(System.getenv());
    }

    /** Options from these variables, with defaults. */
    public static AppOptions from(Map<String, String> env) {
        int port = intVar(env, "PORT", 8080);
        String secret = env.get("AUCTION_JWT_SECRET");
        byte[] key;
        if (secret == null || secret.isBlank()) {
            key = new byte[32];
            new SecureRandom().nextBytes(key);
        } else {
            key = secret.getBytes(StandardCharsets.UTF_8);
        }
        String replica = env.getOrDefault("REPLICA_NAME", env.getOrDefault("HOSTNAME", "replica-" + port));
        return new AppOptions(env.getOrDefault("HOST", "127.0.0.1"), port, replica, key,
                Duration.ofSeconds(intVar(env, "AUCTION_TOKEN_TTL_SECONDS", 3600)),
                intVar(env, "AUCTION_MAX_BODY_BYTES", 16 * 1024),
                Duration.ofMillis(intVar(env, "AUCTION_CLOSE_INTERVAL_MS", 1000)));
    }

    private static int intVar(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got \"" + v + "\"");
        }
    }

    @Override
    public String toString() {
        return "AppOptions[host=" + host + ", port=" + port + ", replica=" + replica + ", jwtSecret=(" + jwtSecret.length
                + " bytes, hidden), tokenTtl=" + tokenTtl + ", maxBodyBytes=" + maxBodyBytes + ", closeInterval="
                + closeInterval + "]";
    }
}
