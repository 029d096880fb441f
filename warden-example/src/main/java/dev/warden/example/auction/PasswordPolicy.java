package dev.warden.example.auction;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a new password must be: 10 to 72 bytes (bcrypt reads no more than 72), not the username (in
 * any case, nor reversed), and not one of the passwords that every guessing list tries first.
 */
final class PasswordPolicy {

    static final int MIN_CHARS = 10;

    /** Tried first by every guesser; compared case-insensitively. */
    private static final Set<String> COMMON = Set.of(
            "1234567890", "12345678910", "123456789a", "0123456789", "0987654321", "1111111111", "0000000000",
            "qwertyuiop", "1q2w3e4r5t", "1qaz2wsx3edc", "qwerty1234", "qwerty123456", "asdfghjkl1",
            "password12", "password123", "password1234", "passw0rd12", "p@ssw0rd12", "iloveyou12", "letmein123",
            "welcome123", "admin12345", "administrator", "changeme123", "football12", "baseball12", "sunshine12",
            "princess12", "trustno1234", "starwars12", "dragon1234", "monkey1234", "superman12", "abc1234567",
            "abcdefghij", "a1b2c3d4e5", "qazwsxedcrfv", "zaq12wsxcde", "computer12", "internet12", "whatever12",
            "admin-password", "alice-password", "bob-password");

    private PasswordPolicy() {
    }

    /** Why {@code password} is refused for {@code username}, or empty when it is acceptable. */
    static Optional<String> problem(String username, String password) {
        if (password.codePointCount(0, password.length()) < MIN_CHARS) {
            return Optional.of("must be at least " + MIN_CHARS + " characters");
        }
        if (!Passwords.fits(password)) {
            return Optional.of("must be at most " + Passwords.MAX_BYTES + " bytes in UTF-8");
        }
        String p = password.toLowerCase(Locale.ROOT);
        if (username != null) {
            String u = username.toLowerCase(Locale.ROOT);
            if (p.equals(u) || p.equals(new StringBuilder(u).reverse().toString())) {
                return Optional.of("must not be the username");
            }
        }
        if (COMMON.contains(p) || p.chars().distinct().count() < 4) {
            return Optional.of("is too common or too simple; choose a longer phrase of your own");
        }
        return Optional.empty();
    }
}
