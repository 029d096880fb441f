package dev.warden.example.auction;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.warden.CommitOutcomeUnknownException;
import dev.warden.ErrorKind;
import dev.warden.NotReadyException;
import dev.warden.WardenException;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure into an RFC 9457 problem body ({@code application/problem+json}). What the
 * client sees is chosen here and only here: a fixed title, a detail written for the caller, never a
 * stack trace, SQL text or driver message. Unexpected failures are logged once with an id that the
 * response carries, so an operator can find the cause.
 *
 * <p>Mapping of database failures (after Warden's own retries):
 * <ul>
 *   <li>{@link NotReadyException}, {@link ErrorKind#CONNECTION} (database unreachable, including the
 *       {@code DatabaseUnavailableException} of DEGRADED) → 503 + {@code Retry-After};</li>
 *   <li>{@link ErrorKind#SERIALIZATION}, {@link ErrorKind#DEADLOCK} still failing after the retry
 *       budget, and {@link ErrorKind#TIMEOUT} → 503 + {@code Retry-After}: the request was valid, the
 *       service was too busy, and the same request may succeed later (409 would wrongly tell the
 *       client that its request conflicts with the data);</li>
 *   <li>{@link ErrorKind#CONSTRAINT} → 409 (the data changed under the request, e.g. a duplicate);</li>
 *   <li>{@link CommitOutcomeUnknownException} → 503 with a detail that says the outcome is unknown;</li>
 *   <li>anything else → 500 with a generic detail.</li>
 * </ul>
 * Every 503 is counted and logged by transition only ({@link OutageLog}), never a line per request.
 */
final class Problems {

    static final String RETRY_AFTER_SECONDS = "2";
    private static final Logger log = LoggerFactory.getLogger(Problems.class);

    private final ObjectMapper json;
    private final OutageLog outages;

    /** {@code outages} counts and logs the 503 answers (null: not counted, e.g. the management port's). */
    Problems(ObjectMapper json, OutageLog outages) {
        this.json = json;
        this.outages = outages;
    }

    void handle(Exception e, Context ctx) {
        switch (e) {
            case ApiException api -> {
                if (api.status() == 503) {
                    unavailable(ctx, OutageLog.Reason.NOT_READY, api.getMessage());
                }
                write(ctx, api);
            }
            case HttpResponseException http -> write(ctx, fromJavalin(http));
            case NotReadyException nr -> {
                unavailable(ctx, OutageLog.Reason.NOT_READY, nr.getMessage());
                write(ctx, unavailable("The service is " + nr.state() + " and not ready for requests yet; retry shortly."));
            }
            case CommitOutcomeUnknownException cu -> {
                unavailable(ctx, OutageLog.Reason.COMMIT_OUTCOME_UNKNOWN, cu.getMessage());
                write(ctx, unavailable("The database connection failed while the change was being committed;"
                        + " it may or may not have been applied. Check before repeating it."));
            }
            default -> write(ctx, fromDatabase(e, ctx));
        }
    }

    private void unavailable(Context ctx, OutageLog.Reason reason, String cause) {
        if (outages != null) {
            outages.unavailable(reason, ctx.method().name(), ctx.path(), cause);
        }
    }

    private ApiException fromDatabase(Exception e, Context ctx) {
        ErrorKind kind = e instanceof WardenException w && w.kind() != ErrorKind.UNKNOWN ? w.kind() : ErrorKind.of(e);
        return switch (kind) {
            case CONNECTION -> {
                unavailable(ctx, OutageLog.Reason.DATABASE_UNAVAILABLE, e.getMessage());
                yield unavailable("The database is unavailable; retry shortly.");
            }
            case SERIALIZATION, DEADLOCK, TIMEOUT -> {
                unavailable(ctx, OutageLog.Reason.BUSY, kind + " after retries: " + e.getMessage());
                yield unavailable("The service is too busy to complete this request now; retry shortly.");
            }
            case CONSTRAINT -> {
                log.info("{} {}: constraint: {}", ctx.method(), ctx.path(), e.getMessage());
                yield ApiException.conflict("The request conflicts with the current data (it may have changed"
                        + " meanwhile); reload and try again.");
            }
            default -> {
                String id = UUID.randomUUID().toString();
                log.error("{} {}: unexpected failure, problem id {}", ctx.method(), ctx.path(), id, e);
                yield new ApiException(500, "Internal error", "The service failed to handle this request."
                        + " Problem id " + id + " identifies it in the service log.");
            }
        };
    }

    static ApiException unavailable(String detail) {
        return new ApiException(503, "Service unavailable", detail, java.util.List.of(),
                java.util.Map.of("Retry-After", RETRY_AFTER_SECONDS));
    }

    private static ApiException fromJavalin(HttpResponseException http) {
        int status = http.getStatus();
        return switch (status) {
            case 413 -> new ApiException(413, "Content too large",
                    "The request body is larger than this service accepts.");
            case 404 -> ApiException.notFound("No such resource.");
            case 405 -> new ApiException(405, "Method not allowed", "This resource does not support that method.");
            case 400 -> new ApiException(400, "Invalid request", "The request could not be read.");
            default -> new ApiException(status, status >= 500 ? "Internal error" : "Request refused",
                    status >= 500 ? "The service failed to handle this request." : "The request was refused.");
        };
    }

    void write(Context ctx, ApiException p) {
        ObjectNode body = json.createObjectNode();
        body.put("type", "about:blank");
        body.put("title", p.title());
        body.put("status", p.status());
        body.put("detail", p.getMessage());
        body.put("instance", ctx.path());
        if (!p.errors().isEmpty()) {
            ArrayNode errors = body.putArray("errors");
            for (ApiException.FieldError fe : p.errors()) {
                errors.addObject().put("field", fe.field()).put("message", fe.message());
            }
        }
        p.headers().forEach(ctx::header);
        ctx.status(p.status()).contentType("application/problem+json").result(body.toString());
    }
}
