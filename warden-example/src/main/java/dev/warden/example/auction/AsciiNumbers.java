package dev.warden.example.auction;

import java.util.OptionalLong;

/**
 * Whole numbers as the API writes them: ASCII digits {@code 0-9} only, no sign, at most 18 digits.
 * {@link Long#parseLong} also takes other scripts' digits ({@code "１"}, {@code "١"}) and a leading
 * {@code +}, so the same id would have many spellings; here it has one.
 */
final class AsciiNumbers {

    private static final int MAX_DIGITS = 18; // below Long.MAX_VALUE, so no overflow check is needed

    private AsciiNumbers() {
    }

    /** The value of {@code raw} when it is 1 to 18 ASCII digits, else empty. */
    static OptionalLong parse(String raw) {
        if (raw == null || raw.isEmpty() || raw.length() > MAX_DIGITS) {
            return OptionalLong.empty();
        }
        long v = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < '0' || c > '9') {
                return OptionalLong.empty();
            }
            v = v * 10 + (c - '0');
        }
        return OptionalLong.of(v);
    }
}
