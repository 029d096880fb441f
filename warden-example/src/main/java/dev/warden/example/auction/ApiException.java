package dev.warden.example.auction;

import java.util.List;
import java.util.Map;

/**
 * A request the service refuses on purpose: it becomes a problem response (RFC 9457) with this
 * status, a short title, a detail for the caller and, for 400, the messages per field.
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String title;
    private final List<FieldError> errors;
    private final Map<String, String> headers;

    /** One bad field of a request: its name (a JSON field, query or path parameter) and what is wrong. */
    public record FieldError(String field, String message) {
    }

    public ApiException(int status, String title, String detail) {
        this(status, title, detail, List.of(), Map.of());
    }

    public ApiException(int status, String title, String detail, List<FieldError> errors, Map<String, String> headers) {
        super(detail, null, false, false);
        this.status = status;
        this.title = title;
        this.errors = List.copyOf(errors);
        this.headers = Map.copyOf(headers);
    }

    /** At most this many field errors are listed in one response (the detail gives the total). */
    static final int MAX_LISTED_ERRORS = 20;

    static ApiException badRequest(List<FieldError> errors) {
        return badRequest(errors, errors.size());
    }

    /** A 400 for {@code total} bad fields, of which {@code errors} (at most {@link #MAX_LISTED_ERRORS} are kept) are listed. */
    static ApiException badRequest(List<FieldError> errors, int total) {
        List<FieldError> listed = errors.size() <= MAX_LISTED_ERRORS ? errors : errors.subList(0, MAX_LISTED_ERRORS);
        String detail = total == 1 ? listed.get(0).field() + ": " + listed.get(0).message()
                : total <= listed.size() ? total + " fields are invalid; see errors."
                : total + " fields are invalid; the first " + listed.size() + " are listed in errors.";
        return new ApiException(400, "Invalid request", detail, listed, Map.of());
    }

    static ApiException badRequest(String field, String message) {
        return badRequest(List.of(new FieldError(field, message)));
    }

    static ApiException unauthorized(String detail) {
        return new ApiException(401, "Unauthorized", detail, List.of(),
                Map.of("WWW-Authenticate", "Bearer realm=\"auction\""));
    }

    static ApiException forbidden(String detail) {
        return new ApiException(403, "Forbidden", detail);
    }

    static ApiException notFound(String detail) {
        return new ApiException(404, "Not found", detail);
    }

    static ApiException conflict(String detail) {
        return new ApiException(409, "Conflict", detail);
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The problem's short, fixed title. */
    public String title() {
        return title;
    }

    /** Per-field messages (400 only; empty otherwise). */
    public List<FieldError> errors() {
        return errors;
    }

    /** Extra response headers, e.g. {@code WWW-Authenticate}. */
    public Map<String, String> headers() {
        return headers;
    }
}
