package dev.warden.example.auction;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A JSON request body read field by field: every problem is collected with the field's name, and
 * {@link #done()} throws one 400 that lists them (the first {@link ApiException#MAX_LISTED_ERRORS}).
 * Unknown fields are refused so that a typo does not silently do nothing. Parsing is strict: the
 * mapper refuses duplicate keys and content after the object, and strings with a lone surrogate are
 * refused here.
 */
final class Body {

    private final JsonNode root;
    /** The range of instants the API takes (PostgreSQL's timestamptz reaches further; nothing here needs it). */
    static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private final List<ApiException.FieldError> errors = new ArrayList<>();
    private int total;

    private Body(JsonNode root) {
        this.root = root;
    }

    static Body parse(byte[] bytes, ObjectMapper json, Set<String> allowed) {
        if (bytes == null || bytes.length == 0) {
            throw ApiException.badRequest("body", "a JSON object is required");
        }
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF) {
            // RFC 8259 §8.1: a networked JSON text must not start with a byte order mark; refused, not skipped,
            // so that every client sends the body the same way.
            throw ApiException.badRequest("body", "starts with a UTF-8 byte order mark (EF BB BF); send the JSON"
                    + " without one");
        }
        JsonNode root;
        try {
            root = json.readTree(bytes);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw ApiException.badRequest("body", "is not valid JSON" + (at == null ? ""
                    : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        } catch (IOException e) {
            throw ApiException.badRequest("body", "could not be read");
        }
        if (root == null || !root.isObject()) {
            throw ApiException.badRequest("body", "must be a JSON object");
        }
        if (hasLoneSurrogate(root)) {
            throw ApiException.badRequest("body", "contains a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF"
                    + " escape), which is not text");
        }
        Body body = new Body(root);
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                body.error(truncate(name), "is not a known field (allowed: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
        return body;
    }

    /** True when any string or field name in the tree holds a surrogate that is not part of a pair. */
    private static boolean hasLoneSurrogate(JsonNode node) {
        if (node.isTextual()) {
            return loneSurrogate(node.textValue());
        }
        if (node.isObject()) {
            for (var it = node.fields(); it.hasNext(); ) {
                var e = it.next();
                if (loneSurrogate(e.getKey()) || hasLoneSurrogate(e.getValue())) {
                    return true;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode child : node) {
                if (hasLoneSurrogate(child)) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean loneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    boolean has(String field) {
        JsonNode n = root.get(field);
        return n != null && !n.isNull();
    }

    /**
     * A string of {@code min..max} characters that displays as what it is: no control characters
     * (newline, carriage return and tab allowed if multiline), no bidirectional overrides or isolates
     * (U+202A–U+202E, U+2066–U+2069: they reorder what a reader sees, e.g. a title that shows another
     * price or name) and no line or paragraph separators (U+2028, U+2029: a line break that
     * multi-line checks miss).
     */
    String text(String field, boolean required, int min, int max, boolean multiline) {
        String s = string(field, required, min, max, multiline);
        if (s != null) {
            String bad = invisibleProblem(s);
            if (bad != null) {
                error(field, bad);
                return null;
            }
        }
        return s;
    }

    /** A secret such as a password: like {@link #text} but only control characters are refused (it is never shown). */
    String secret(String field, boolean required, int min, int max) {
        return string(field, required, min, max, false);
    }

    /** Why {@code s} would not display as what it is (see {@link #text}), or null. */
    static String invisibleProblem(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '\u202A' && c <= '\u202E' || c >= '\u2066' && c <= '\u2069') {
                return String.format("must not contain bidirectional override or isolate characters (U+%04X)", (int) c);
            }
            if (c == '\u2028' || c == '\u2029') {
                return String.format("must not contain line or paragraph separators (U+%04X)", (int) c);
            }
        }
        return null;
    }

    private String string(String field, boolean required, int min, int max, boolean multiline) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                error(field, "is required");
            }
            return null;
        }
        if (!n.isTextual()) {
            error(field, "must be a string");
            return null;
        }
        String s = n.textValue();
        int length = s.codePointCount(0, s.length());
        if (length < min || length > max) {
            error(field, min == max ? "must be " + min + " characters" : "must be " + min + " to " + max + " characters");
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) {
                error(field, "must not contain control characters");
                return null;
            }
        }
        if (min > 0 && s.isBlank()) {
            error(field, "must not be blank");
            return null;
        }
        return s;
    }

    String text(String field, boolean required, int min, int max, Pattern pattern, String rule) {
        JsonNode n = root.get(field);
        if (n != null && n.isTextual() && !pattern.matcher(n.textValue()).matches()) {
            error(field, rule); // one message for every way the value breaks the rule
            return null;
        }
        String s = text(field, required, min, max, false);
        if (s != null && !pattern.matcher(s).matches()) {
            error(field, rule);
            return null;
        }
        return s;
    }

    /** A whole number in {@code min..max}. */
    Long whole(String field, boolean required, long min, long max) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                error(field, "is required");
            }
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            error(field, "must be a whole number (minor units, e.g. cents)");
            return null;
        }
        long v = n.longValue();
        if (v < min || v > max) {
            error(field, "must be from " + min + " to " + max);
            return null;
        }
        return v;
    }

    Boolean bool(String field, boolean required) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                error(field, "is required");
            }
            return null;
        }
        if (!n.isBoolean()) {
            error(field, "must be true or false");
            return null;
        }
        return n.booleanValue();
    }

    /** An ISO-8601 instant, e.g. {@code 2030-01-01T12:00:00Z}. */
    Instant instant(String field, boolean required) {
        String s = text(field, required, 1, 64, false);
        if (s == null) {
            return null;
        }
        Instant at;
        try {
            at = Instant.parse(s);
        } catch (DateTimeParseException e) {
            error(field, "must be an ISO-8601 instant such as 2030-01-01T12:00:00Z");
            return null;
        }
        if (at.isBefore(EARLIEST) || at.isAfter(LATEST)) {
            error(field, "must be an instant from " + EARLIEST + " to " + LATEST);
            return null;
        }
        return at;
    }

    void error(String field, String message) {
        if (errors.size() < ApiException.MAX_LISTED_ERRORS) { // a body of many bad fields gets a bounded answer
            errors.add(new ApiException.FieldError(field, message));
        }
        total++;
    }

    /** Throws the collected problems as one 400, if there are any. */
    void done() {
        if (total > 0) {
            throw ApiException.badRequest(errors, total);
        }
    }

    private static String truncate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
