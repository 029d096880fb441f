package dev.warden.example.auction;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Login throttling that slows guessing without letting anyone lock a user out (OWASP Authentication
 * Cheat Sheet: throttle rather than lock accounts, since a lockout is a denial of service anyone can
 * trigger). Three token buckets, checked <em>before</em> the password (so parallel attempts cannot
 * slip past and a refused attempt costs no bcrypt work):
 * <ul>
 *   <li>per client address ({@link #PER_ADDRESS}): an address guessing or spraying names is refused
 *       (429 + {@code Retry-After});</li>
 *   <li>per username <em>and</em> address ({@link #PER_USERNAME_AND_ADDRESS}): one address guessing
 *       one user's password is refused; other addresses, the user's own among them, are not affected;</li>
 *   <li>per username, from any address ({@link #PER_USERNAME}, far higher): when a distributed attack
 *       empties it, attempts for that name are never refused; each one is held for {@link #USERNAME_DELAY}
 *       before its check, so a correct password is always accepted within that short, bounded delay.</li>
 * </ul>
 * A successful login gives its tokens back; so does one the database could not answer. Memory is
 * bounded: each map keeps at most {@code maxKeys} buckets, least recently used forgotten first (a
 * forgotten bucket is a full one). Usernames are keyed case-insensitively, and whether the name exists
 * plays no part, so the answer reveals nothing about accounts.
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

    /** The three limits and the delay once the username-wide one is reached. */
    record Limits(Limit perAddress, Limit perUsernameAndAddress, Limit perUsername, Duration usernameDelay) {
        Limits {
            if (usernameDelay.isNegative() || usernameDelay.compareTo(Duration.ofSeconds(5)) > 0) {
                throw new IllegalArgumentException("usernameDelay must be 0 to 5 s: a correct password must get in");
            }
        }
    }

    /** What an attempt may do: go on after {@code delay}, or be refused for {@code retryAfterSeconds}. */
    record Decision(boolean refused, long retryAfterSeconds, Duration delay) {
        static final Decision GO = new Decision(false, 0, Duration.ZERO);
    }

    /** 30 attempts per client address, then one a second. */
    static final Limit PER_ADDRESS = new Limit(30, Duration.ofSeconds(1));
    /** 5 attempts per username from one address, then one every 30 s (120 an hour). */
    static final Limit PER_USERNAME_AND_ADDRESS = new Limit(5, Duration.ofSeconds(30));
    /** 100 attempts per username from all addresses together, then one every 10 s; beyond it, attempts are delayed. */
    static final Limit PER_USERNAME = new Limit(100, Duration.ofSeconds(10));
    /** How long an attempt waits once its username's own bucket is empty. */
    static final Duration USERNAME_DELAY = Duration.ofSeconds(1);
    static final Limits DEFAULTS = new Limits(PER_ADDRESS, PER_USERNAME_AND_ADDRESS, PER_USERNAME, USERNAME_DELAY);
    static final int MAX_KEYS = 10_000;

    private final Buckets addresses;
    private final Buckets usernamesAtAddresses;
    private final Buckets usernames;
    private final Duration usernameDelay;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong delayed = new AtomicLong();

    LoginThrottle(Limits limits, int maxKeys, Clock clock) {
        this.addresses = new Buckets(limits.perAddress(), maxKeys, clock);
        this.usernamesAtAddresses = new Buckets(limits.perUsernameAndAddress(), maxKeys, clock);
        this.usernames = new Buckets(limits.perUsername(), maxKeys, clock);
        this.usernameDelay = limits.usernameDelay();
    }

    static LoginThrottle defaults() {
        return new LoginThrottle(DEFAULTS, MAX_KEYS, Clock.systemUTC());
    }

    /**
     * Takes a token for this attempt from each bucket, or none when it is refused: refused (with the
     * seconds to wait, {@code Retry-After}) when the address's or the username-at-address's bucket is
     * empty; otherwise it goes on, after {@link Limits#usernameDelay()} when only the username-wide
     * bucket is empty.
     */
    synchronized Decision acquire(String username, String address) {
        String user = key(username);
        String userAtAddress = user + '\n' + address;
        long wait = Math.max(addresses.waitSeconds(address), usernamesAtAddresses.waitSeconds(userAtAddress));
        if (wait > 0) {
            refused.incrementAndGet();
            return new Decision(true, wait, Duration.ZERO);
        }
        addresses.take(address);
        usernamesAtAddresses.take(userAtAddress);
        if (usernames.waitSeconds(user) > 0) {
            delayed.incrementAndGet();
            return new Decision(false, 0, usernameDelay);
        }
        usernames.take(user);
        return Decision.GO;
    }

    /**
     * Takes a token from the address's bucket only (a registration, which costs one bcrypt hash and
     * is not given back): 0 when it may go on, else the seconds to wait.
     */
    synchronized long acquireAddress(String address) {
        long wait = addresses.waitSeconds(address);
        if (wait > 0) {
            refused.incrementAndGet();
            return wait;
        }
        addresses.take(address);
        return 0;
    }

    /**
     * Gives the attempt's tokens back: a successful login, or one the database could not answer,
     * does not count; only wrong passwords do.
     */
    synchronized void giveBack(String username, String address, Decision decision) {
        String user = key(username);
        if (decision.delay().isZero()) { // a delayed attempt took no token from the username-wide bucket
            usernames.giveBack(user);
        }
        usernamesAtAddresses.giveBack(user + '\n' + address);
        addresses.giveBack(address);
    }

    /** Attempts refused so far (429). */
    long refused() {
        return refused.get();
    }

    /** Attempts delayed so far because their username's bucket was empty. */
    long delayed() {
        return delayed.get();
    }

    /** Buckets held now (for tests of the memory bound). */
    synchronized int size() {
        return usernames.map.size() + usernamesAtAddresses.map.size() + addresses.map.size();
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
            double tokens = Math.min(limit.burst(), b[0] + (double) (now - b[1]) / refillNanos);
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
