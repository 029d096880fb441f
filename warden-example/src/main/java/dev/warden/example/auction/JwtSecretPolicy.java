package dev.warden.example.auction;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rule for {@code AUCTION_JWT_SECRET}: a random key of at least 128 bits, written as hex (at
 * least 32 hex digits, e.g. {@code openssl rand -hex 32}) or base64 / base64url (at least 22
 * characters without padding, e.g. {@code openssl rand -base64 32}). Anyone who knows or guesses the
 * secret can sign an admin token offline, so the service does not start with one that is not such a
 * key: a phrase (spaces, punctuation), a published placeholder or a word such as "change" or
 * "secret", a repeated piece ({@code "ab12ab12…"}), or text whose characters are far less varied than
 * random ones ever are. Any random key of 128 bits or more in either form passes. The key is used as
 * written (its UTF-8 bytes are the HMAC key). Messages state the rule and never contain the value.
 */
final class JwtSecretPolicy {

    static final String VARIABLE = "AUCTION_JWT_SECRET";
    /** The key's strength the encoded text must carry. */
    static final int MIN_BITS = 128;
    /** The shortest acceptable secret: 22 base64 characters carry 132 bits. */
    static final int MIN_CHARS = 22;

    static final String RULE = VARIABLE + " must be a random key of at least " + MIN_BITS + " bits, written as hex"
            + " (at least 32 hex digits, e.g. the output of `openssl rand -hex 32`) or base64/base64url (at least "
            + MIN_CHARS + " characters, e.g. `openssl rand -base64 32`), the same on every replica";

    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]+");
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/_-]+={0,2}");
    /**
     * Characters per symbol (Shannon entropy of the text's own characters) below which a text is not
     * random: random keys of 128 bits stay above 2.8 (hex) and 3.2 (base64) in 200,000 draws.
     */
    private static final double MIN_HEX_SPREAD = 2.6;
    private static final double MIN_BASE64_SPREAD = 3.0;

    /** Secrets published in this repository or its docs: never acceptable. */
    private static final Set<String> KNOWN = Set.of(
            "change-me-to-32-or-more-random-bytes-please",
            "REPLACE-ME-with-openssl-rand-base64-32-output",
            "test-secret-test-secret-test-secret-0123");
    /**
     * Words that mark a placeholder. Five letters or more, never "abcd" or "1234", which random hex
     * often holds.
     */
    private static final String[] PLACEHOLDER_WORDS = {"change", "replace", "secret", "placeholder", "example",
            "default", "password", "fixme", "dummy", "sample", "qwerty", "insert", "your-", "generate"};

    private JwtSecretPolicy() {
    }

    /** The secret's bytes, or IllegalArgumentException stating the rule and what breaks it (never the value). */
    static byte[] check(String secret) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        String problem = problem(secret);
        if (problem != null) {
            throw new IllegalArgumentException(RULE + "; this one " + problem + " (" + secret.length()
                    + " characters, value hidden)");
        }
        return bytes;
    }

    /** What breaks the rule, or null. */
    private static String problem(String secret) {
        if (KNOWN.contains(secret)) {
            return "is a published placeholder";
        }
        for (String word : PLACEHOLDER_WORDS) {
            // as people write them (lower, UPPER, Capitalized): a random key spells one of those by
            // chance about once in four million keys; case-blind, about once in 300,000
            if (secret.contains(word) || secret.contains(word.toUpperCase(Locale.ROOT))
                    || secret.contains(Character.toUpperCase(word.charAt(0)) + word.substring(1))) {
                return "looks like a placeholder (it spells a word such as \"change\", \"secret\" or \"example\")";
            }
        }
        boolean hex = HEX.matcher(secret).matches();
        if (!hex && !BASE64.matcher(secret).matches()) {
            return "is neither hex nor base64 (a phrase or hand-made text is not a random key)";
        }
        String digits = secret.replace("=", "");
        int bits = digits.length() * (hex ? 4 : 6);
        if (bits < MIN_BITS) {
            return "carries " + bits + " bits as " + (hex ? "hex" : "base64");
        }
        if (shortestPeriod(digits).length() < digits.length()) {
            return "repeats a shorter piece";
        }
        double spread = spread(digits);
        if (spread < (hex ? MIN_HEX_SPREAD : MIN_BASE64_SPREAD)) {
            return String.format(Locale.ROOT, "uses too few different characters for a random key (%.1f bits per"
                    + " character, random ones have at least %.1f)", spread, hex ? MIN_HEX_SPREAD : MIN_BASE64_SPREAD);
        }
        if (!hex && digits.chars().noneMatch(Character::isDigit)
                && (digits.equals(digits.toLowerCase(Locale.ROOT)) || digits.equals(digits.toUpperCase(Locale.ROOT)))) {
            // Random base64 of 22+ characters has no digit and one letter case about once in 10^8 draws; words do.
            return "has letters of one case and no digit, as words do, not random base64";
        }
        return null;
    }

    /** Shannon entropy of the text's characters, in bits per character. */
    static double spread(String s) {
        int[] counts = new int[128];
        for (int i = 0; i < s.length(); i++) {
            counts[s.charAt(i) & 0x7f]++;
        }
        double perChar = 0;
        for (int c : counts) {
            if (c > 0) {
                double p = (double) c / s.length();
                perChar -= p * (Math.log(p) / Math.log(2));
            }
        }
        return perChar;
    }

    private static String shortestPeriod(String s) {
        for (int period = 1; period <= s.length() / 2; period++) {
            boolean repeats = true;
            for (int i = period; i < s.length() && repeats; i++) {
                repeats = s.charAt(i) == s.charAt(i - period);
            }
            if (repeats) {
                return s.substring(0, period);
            }
        }
        return s;
    }
}
