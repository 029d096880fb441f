package dev.warden.example.auction;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * Refuses a JWT secret that someone else could know or guess: shorter than 32 bytes, a placeholder
 * (the one in {@code deploy/k8s/secret.yaml}, words such as "change-me" or "secret"), or one with
 * too little entropy (few distinct characters, long repeats). Anyone who knows the secret can sign an
 * admin token offline, so the service does not start with one. Messages never contain the value.
 */
final class JwtSecretPolicy {

    static final String VARIABLE = "AUCTION_JWT_SECRET";
    static final int MIN_BYTES = 32;
    /** Estimated bits (Shannon entropy of the characters × length) a secret must reach. */
    static final double MIN_BITS = 128;

    /** Secrets published in this repository or its docs: never acceptable. */
    private static final Set<String> KNOWN = Set.of(
            "change-me-to-32-or-more-random-bytes-please",
            "REPLACE-ME-with-openssl-rand-base64-32-output",
            "test-secret-test-secret-test-secret-0123");
    /**
     * Words that mark a placeholder. Five letters or more, so that a random secret spells one by chance
     * about once in a million (base64 of 32 bytes), never "abcd" or "1234", which random hex often holds.
     */
    private static final String[] PLACEHOLDER_WORDS = {"change", "replace", "secret", "placeholder", "example",
            "default", "password", "fixme", "dummy", "sample", "qwerty", "insert", "your-", "generate"};

    private JwtSecretPolicy() {
    }

    /** The secret's bytes, or IllegalArgumentException naming the variable and the rule (never the value). */
    static byte[] check(String secret) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        String rule = "; set it to at least " + MIN_BYTES + " random bytes, e.g. the output of"
                + " `openssl rand -base64 32`, the same on every replica";
        if (bytes.length < MIN_BYTES) {
            throw new IllegalArgumentException(VARIABLE + " must be at least " + MIN_BYTES + " bytes, got "
                    + bytes.length + rule);
        }
        String lower = secret.toLowerCase(Locale.ROOT);
        if (KNOWN.contains(secret)) {
            throw new IllegalArgumentException(VARIABLE + " is a published placeholder (" + bytes.length
                    + " bytes, value hidden)" + rule);
        }
        for (String word : PLACEHOLDER_WORDS) {
            if (lower.contains(word)) {
                throw new IllegalArgumentException(VARIABLE + " looks like a placeholder (it spells a word such as"
                        + " \"change\", \"secret\" or \"example\"; value hidden)" + rule);
            }
        }
        double bits = estimatedBits(secret);
        if (bits < MIN_BITS) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s is too guessable (about %.0f bits"
                    + " estimated, %.0f needed; value hidden)%s", VARIABLE, bits, MIN_BITS, rule));
        }
        return bytes;
    }

    /**
     * Shannon entropy of the characters times the length of the secret with its repeats removed: a
     * secret made of a short piece said again ("ab12ab12…") counts only once.
     */
    static double estimatedBits(String secret) {
        String s = shortestPeriod(secret);
        int[] counts = new int[Character.MAX_VALUE + 1];
        for (int i = 0; i < s.length(); i++) {
            counts[s.charAt(i)]++;
        }
        double perChar = 0;
        for (int c : counts) {
            if (c > 0) {
                double p = (double) c / s.length();
                perChar -= p * (Math.log(p) / Math.log(2));
            }
        }
        return perChar * s.length();
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
