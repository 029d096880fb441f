package dev.warden.example.auction;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Limits login attempts per username and per client address with token buckets, so that guessing
 * passwords is slow and cannot burn the service's CPU on bcrypt. An attempt takes one token from its
 * username's bucket and one from its address's bucket <em>before</em> the password is checked (so
 * parallel attempts cannot slip past the limit); a successful login gives them back. When either
 * bucket is empty the attempt is refused at once, without any bcrypt work, with the seconds until a
 * token is back.
 *
 * <p>Memory is bounded: each map keeps at most {@code maxKeys} buckets and forgets the least recently
 * used one first (a forgotten bucket is a full one). Usernames are keyed case-insensitively, and
 * whether the name exists plays no part, so the answer reveals nothing about accounts.
 */
final class LoginThrottle {

    /** How many attempts a bucket allows at once ({@code burst}) and how fast it refills. */
    record Limit(int burst, Duration refillEvery) {
        Limit {
            if (burst < 1 || refillEvery.isNegative() || refillEvery.isZero()) {
                throw new IllegalArgumentException("burst must be ≥ 1 and refillEvery positive");
            }
        }
    }

    /** 5 attempts per username, then one every 30 s (120 an hour). */
    static final Limit PER_USERNAME = new Limit(5, Duration.ofSeconds(30));
    /** 30 attempts per client address, then one a second. */
    static final Limit PER_ADDRESS = new Limit(30, Duration.ofSeconds(1));
    static final int MAX_KEYS = 10_000;

    private final Buckets usernames;
    private final Buckets addresses;

    LoginThrottle(Limit perUsername, Limit perAddress, int maxKeys, Clock clock) {
        this.usernames = new Buckets(perUsername, maxKeys, clock);
        this.addresses = new Buckets(perAddress, maxKeys, clock);
    }

    static LoginThrottle defaults() {
        return new LoginThrottle(PER_USERNAME, PER_ADDRESS, MAX_KEYS, Clock.systemUTC());
    }

    /**
     * Takes a token for this attempt from both buckets, or none: empty when the attempt may go on,
     * else the seconds to wait ({@code Retry-After}).
     */
    synchronized OptionalLong acquire(String username, String address) {
        String user = key(username);
        long userWait = usernames.waitSeconds(user);
        long addressWait = addresses.waitSeconds(address);
        if (userWait > 0 || addressWait > 0) {
            return OptionalLong.of(Math.max(userWait, addressWait));
        }
        usernames.take(user);
        addresses.take(address);
        return OptionalLong.empty();
    }

    /**
     * Takes a token from the address's bucket only (a registration, which costs one bcrypt hash and
     * is not given back): empty when it may go on, else the seconds to wait.
     */
    synchronized OptionalLong acquireAddress(String address) {
        long wait = addresses.waitSeconds(address);
        if (wait > 0) {
            return OptionalLong.of(wait);
        }
        addresses.take(address);
        return OptionalLong.empty();
    }

    /**
     * Gives the attempt's tokens back: a successful login, or one the database could not answer,
     * does not count; only wrong passwords do.
     */
    synchronized void giveBack(String username, String address) {
        usernames.giveBack(key(username));
        addresses.giveBack(address);
    }

    /** Buckets held now (for tests of the memory bound). */
    synchronized int size() {
        return usernames.map.size() + addresses.map.size();
    }

    private static String key(String username) {
        return username.toLowerCase(Locale.ROOT);
    }

    /** Token buckets by key, least recently used forgotten first. Not thread-safe: the throttle locks. */
    private static final class Buckets {
        private final Limit limit;
        private final Clock clock;
        private final long refillNanos;
        private final Map<String, double[]> map; // key -> {tokens, lastRefillNanos}

        Buckets(Limit limit, int maxKeys, Clock clock) {
            this.limit = limit;
            this.clock = clock;
            this.refillNanos = limit.refillEvery().toNanos();
            this.map = new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, double[]> eldest) {
                    return size() > maxKeys;
                }
            };
        }

        private long now() {
            java.time.Instant t = clock.instant();
            return t.getEpochSecond() * 1_000_000_000L + t.getNano();
        }

        private double[] refilled(String key) {
            long now = now();
            double[] b = map.get(key);
            if (b == null) {
                return null;
            }
            double tokens = Math.min(limit.burst(), b[0] + (now - b[1]) / refillNanos);
            b[0] = tokens;
            b[1] = now;
            if (tokens >= limit.burst()) {
                map.remove(key); // a full bucket is the same as none
                return null;
            }
            return b;
        }

        long waitSeconds(String key) {
            double[] b = refilled(key);
            if (b == null || b[0] >= 1) {
                return 0;
            }
            double nanos = (1 - b[0]) * refillNanos;
            return Math.max(1, (long) Math.ceil(nanos / 1e9));
        }

        void take(String key) {
            double[] b = map.get(key);
            if (b == null) {
                map.put(key, new double[] {limit.burst() - 1, now()});
            } else {
                b[0] -= 1;
            }
        }

        void giveBack(String key) {
            double[] b = refilled(key);
            if (b != null) {
                b[0] = Math.min(limit.burst(), b[0] + 1);
            }
        }
    }
}
