package dev.warden.example.auction;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How the auction service runs, apart from the database: that is Warden's configuration
 * ({@code WARDEN_*}, see {@link AuctionApp#wardenConfig}), initialisation epoch included.
 *
 * @param network       where the API and the operator endpoints listen
 * @param replica       this process's name in logs, bids and {@code /info} ({@code REPLICA_NAME},
 *                      default {@code HOSTNAME} or {@code replica-<port>})
 * @param tokens        how bearer tokens are signed and how long they live
 * @param maxBodyBytes  largest accepted request body ({@code AUCTION_MAX_BODY_BYTES}, default 16384); more → 413
 * @param closeInterval how often due auctions are closed ({@code AUCTION_CLOSE_INTERVAL_MS}, default 1000)
 * @param demoData      load the demo users and listings ({@code AUCTION_DEMO_DATA}, default false; {@code warden
 *                      demo} sets it)
 */
public record AppOptions(Network network, String replica, Tokens tokens, long maxBodyBytes, Duration closeInterval,
                         boolean demoData) {

    /** The management port's variable. */
    public static final String MANAGEMENT_PORT = "WARDEN_MANAGEMENT_PORT";
    /** How far above {@code PORT} the management port is by default. */
    public static final int MANAGEMENT_PORT_OFFSET = 1000;

    /**
     * Where the service listens.
     *
     * @param host           interface to bind, API and management ({@code HOST}, default 127.0.0.1; 0.0.0.0 in a
     *                       container)
     * @param port           API port ({@code PORT}, default 8080; 0 for any free one)
     * @param managementPort port of the operator endpoints {@code /health*}, {@code /metrics}, {@code /dashboard},
     *                       {@code /info} ({@code WARDEN_MANAGEMENT_PORT}, default {@code PORT + 1000}, or any free
     *                       one when {@code PORT} is 0); never the API port
     */
    public record Network(String host, int port, int managementPort) {

        public Network {
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("PORT must be 0 to 65535, got " + port);
            }
            if (managementPort < 0 || managementPort > 65535) {
                throw new IllegalArgumentException(MANAGEMENT_PORT + " must be 0 to 65535, got " + managementPort);
            }
            if (managementPort != 0 && managementPort == port) {
                throw new IllegalArgumentException(MANAGEMENT_PORT + " must differ from PORT (" + port
                        + "): the operator endpoints stay off the API port, got " + managementPort);
            }
        }
    }

    /**
     * Bearer tokens.
     *
     * @param jwtSecret HS256 key ({@code AUCTION_JWT_SECRET}: a random key of 128 bits or more in hex or base64,
     *                  see {@link JwtSecretPolicy}; random per process when unset, so replicas must share one)
     * @param tokenTtl  lifetime of a token ({@code AUCTION_TOKEN_TTL_SECONDS}, default 3600)
     */
    public record Tokens(byte[] jwtSecret, Duration tokenTtl) {

        public Tokens {
            Objects.requireNonNull(jwtSecret, "jwtSecret");
            Objects.requireNonNull(tokenTtl, "tokenTtl");
            if (jwtSecret.length < JwtSecretPolicy.MIN_CHARS) {
                throw new IllegalArgumentException(JwtSecretPolicy.RULE + "; got " + jwtSecret.length + " bytes");
            }
            if (tokenTtl.isNegative() || tokenTtl.isZero()) {
                throw new IllegalArgumentException("AUCTION_TOKEN_TTL_SECONDS must be positive, got "
                        + tokenTtl.toSeconds());
            }
        }

        /** The secret's length only, never its bytes. */
        @Override
        public String toString() {
            return "Tokens[jwtSecret=(" + jwtSecret.length + " bytes, hidden), tokenTtl=" + tokenTtl + "]";
        }
    }

    public AppOptions {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(replica, "replica");
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(closeInterval, "closeInterval");
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

    /**
     * Options from these variables, with defaults.
     *
     * @throws IllegalArgumentException naming the variable and the rule, for a bad value (a secret's
     *                                  value is never shown)
     */
    public static AppOptions from(Map<String, String> env) {
        int port = intVar(env, "PORT", 8080);
        String secret = env.get(JwtSecretPolicy.VARIABLE);
        byte[] key;
        if (secret == null || secret.isBlank()) {
            key = new byte[32];
            new SecureRandom().nextBytes(key);
        } else {
            key = JwtSecretPolicy.check(secret);
        }
        int defaultManagement = port == 0 ? 0 : port + MANAGEMENT_PORT_OFFSET;
        if (defaultManagement > 65535 && blank(env.get(MANAGEMENT_PORT))) {
            throw new IllegalArgumentException(MANAGEMENT_PORT + " must be set when PORT (" + port + ") + "
                    + MANAGEMENT_PORT_OFFSET + " is above 65535");
        }
        String replica = env.getOrDefault("REPLICA_NAME", env.getOrDefault("HOSTNAME", "replica-" + port));
        Network network = new Network(env.getOrDefault("HOST", "127.0.0.1"), port,
                intVar(env, MANAGEMENT_PORT, defaultManagement));
        return new AppOptions(network, replica,
                new Tokens(key, Duration.ofSeconds(intVar(env, "AUCTION_TOKEN_TTL_SECONDS", 3600))),
                intVar(env, "AUCTION_MAX_BODY_BYTES", 16 * 1024),
                Duration.ofMillis(intVar(env, "AUCTION_CLOSE_INTERVAL_MS", 1000)),
                boolVar(env, "AUCTION_DEMO_DATA"));
    }

    /** The same options with the demo data on or off. */
    public AppOptions withDemoData(boolean on) {
        return new AppOptions(network, replica, tokens, maxBodyBytes, closeInterval, on);
    }

    private static boolean blank(String v) {
        return v == null || v.isBlank();
    }

    private static boolean boolVar(Map<String, String> env, String name) {
        String v = env.get(name);
        if (blank(v)) {
            return false;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(name + " must be true or false, got \"" + v + "\"");
        };
    }

    private static int intVar(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (blank(v)) {
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
        return "AppOptions[network=" + network + ", replica=" + replica + ", tokens=" + tokens
                + ", maxBodyBytes=" + maxBodyBytes + ", closeInterval=" + closeInterval + ", demoData=" + demoData + "]";
    }
}
