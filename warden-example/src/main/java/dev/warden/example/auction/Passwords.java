package dev.warden.example.auction;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.nio.charset.StandardCharsets;

/**
 * Password hashing with bcrypt ({@code at.favre.lib:bcrypt}): salted, cost 10 (2^10 rounds, the
 * OWASP minimum for bcrypt). Passwords are limited to 72 UTF-8 bytes by bcrypt itself; the API
 * refuses longer ones rather than truncating them silently.
 */
final class Passwords {

    static final int COST = 10;
    static final int MAX_BYTES = 72;
    /** Compared against when the user does not exist, so that timing does not reveal which names exist. */
    private static final String DUMMY = BCrypt.withDefaults().hashToString(COST, "not-a-password".toCharArray());

    private Passwords() {
    }

    static String hash(String password) {
        return BCrypt.withDefaults().hashToString(COST, password.toCharArray());
    }

    static boolean verify(String password, String hash) {
        return BCrypt.verifyer().verify(password.toCharArray(), hash == null ? DUMMY : hash).verified && hash != null;
    }

    static boolean fits(String password) {
        return password.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES;
    }
}
