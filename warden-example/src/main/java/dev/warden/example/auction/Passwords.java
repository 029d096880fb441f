package dev.warden.example.auction;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Password hashing with bcrypt ({@code at.favre.lib:bcrypt}): salted, cost 10 (2^10 rounds, the
 * OWASP minimum for bcrypt). Passwords are limited to 72 UTF-8 bytes by bcrypt itself; the API
 * refuses longer ones rather than truncating them silently.
 */
final class Passwords {

    static final int COST = 10;
    static final int MAX_BYTES = 72;
    /** Compared against when the user does not exist, so that timing does not reveal which names exist. */
    private static final AtomicLong CHECKS = new AtomicLong();
    private static final char[] DUMMY_PASSWORD = "not-a-password".toCharArray();
    private static final String DUMMY = BCrypt.withDefaults().hashToString(COST, DUMMY_PASSWORD.clone());

    private Passwords() {
    }

    static String hash(String password) {
        return BCrypt.withDefaults().hashToString(COST, password.toCharArray());
    }

    /**
     * True when {@code password} matches {@code hash}; false for a null hash (after the same bcrypt
     * work, on a dummy hash) and for a password longer than bcrypt takes (no account can have one:
     * registration refuses them), never an exception.
     */
    static boolean verify(String password, String hash) {
        CHECKS.incrementAndGet();
        if (!fits(password)) {
            BCrypt.verifyer().verify(DUMMY_PASSWORD.clone(), DUMMY); // the same work as for any other wrong password
            return false;
        }
        return BCrypt.verifyer().verify(password.toCharArray(), hash == null ? DUMMY : hash).verified && hash != null;
    }

    /** How many bcrypt checks {@link #verify} has made in this process (tests: throttled logins make none). */
    static long checks() {
        return CHECKS.get();
    }

    static boolean fits(String password) {
        return password.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES;
    }
}
