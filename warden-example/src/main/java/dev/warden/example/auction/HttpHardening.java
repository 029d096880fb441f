package dev.warden.example.auction;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * What every response of the service carries, whoever writes it:
 * <ul>
 *   <li>security headers: {@code X-Content-Type-Options: nosniff}, a Content-Security-Policy that
 *       allows nothing and no framing ({@code frame-ancestors 'none'}), {@code Referrer-Policy:
 *       no-referrer} and {@code Cache-Control: no-store} (responses carry tokens and per-user data);</li>
 *   <li>a problem body ({@code application/problem+json}, RFC 9457) also for the errors Jetty answers
 *       itself, before any route runs: 414 (URI too long), 431 (headers too large), 400 (bad framing,
 *       a bad header, a malformed request line or HTTP version: Jetty's 505 becomes 400, the
 *       client's error) — never Jetty's HTML page or its exception text.</li>
 * </ul>
 */
final class HttpHardening {

    /** The headers set on every response (the dashboard sets its own, looser CSP for its inline script). */
    static final Map<String, String> HEADERS = Map.of(
            "X-Content-Type-Options", "nosniff",
            "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'",
            "X-Frame-Options", "DENY",
            "Referrer-Policy", "no-referrer",
            "Cache-Control", "no-store");

    private HttpHardening() {
    }

    /**
     * Installs the headers at Jetty's level (a customizer that adds them to every response before any
     * handler runs, so Jetty's own answers carry them too), again before Javalin's handlers (a Javalin
     * error may reset the response), and the problem error handler.
     */
    static void install(JavalinConfig config) {
        config.jetty.modifyHttpConfiguration(http -> http.addCustomizer((request, responseHeaders) -> {
            HEADERS.forEach(responseHeaders::put);
            return request;
        }));
        config.routes.before(HttpHardening::headers);
        config.jetty.modifyServer(server -> server.setErrorHandler(new ProblemErrorHandler()));
    }

    /**
     * The status to answer for one Jetty chose: 505 (HTTP/0.9, an unknown version such as
     * {@code HTTP/9.9}) becomes 400, since a malformed request line is the client's error, and a
     * 5xx would count against the service in every dashboard and alert.
     */
    static int clientStatus(int status) {
        return status == 505 ? 400 : status;
    }

    static void headers(Context ctx) {
        HEADERS.forEach(ctx::header);
    }

    /** A problem body for an error Jetty answers itself; the title is fixed per status, no message from Jetty. */
    static byte[] problem(int status, String path) {
        String title = switch (status) {
            case 400 -> "Bad request";
            case 413 -> "Content too large";
            case 414 -> "URI too long";
            case 426 -> "Upgrade required";
            case 431 -> "Request header fields too large";
            case 505 -> "HTTP version not supported";
            default -> status >= 500 ? "Internal error" : "Request refused";
        };
        String detail = switch (status) {
            case 400 -> "The request could not be read (bad request line, HTTP version, framing, encoding or header).";
            case 414 -> "The request URI is longer than this service accepts.";
            case 426 -> "This service speaks HTTP/1.1 only.";
            case 431 -> "The request headers are larger than this service accepts.";
            default -> status >= 500 ? "The service failed to handle this request." : "The request was refused.";
        };
        return ("{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status + ",\"detail\":\""
                + detail + "\"" + (path == null ? "" : ",\"instance\":" + jsonString(path)) + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** Jetty's error handler, answering with a problem body instead of an HTML page. */
    static final class ProblemErrorHandler extends ErrorHandler {

        ProblemErrorHandler() {
            setShowStacks(false);
            setShowCauses(false);
            setShowOrigin(false);
        }

        /** Every method gets the problem body and headers (Jetty's default: only GET, POST and HEAD; PRI got a bare 426). */
        @Override
        public boolean errorPageForMethod(String method) {
            return true;
        }

        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) throws IOException {
            String path = request.getHttpURI() == null ? null : request.getHttpURI().getPath();
            int status = clientStatus(code);
            response.setStatus(status);
            byte[] body = problem(status, path != null && path.length() > 200 || "/badMessage".equals(path) ? null : path);
            HttpFields.Mutable h = response.getHeaders();
            h.put(HttpHeader.CONTENT_TYPE, "application/problem+json");
            HEADERS.forEach(h::put);
            h.put(HttpHeader.CONTENT_LENGTH, Long.toString(body.length));
            response.write(true, ByteBuffer.wrap(body), callback);
        }

        @Override
        public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
            fields.put(HttpHeader.CONTENT_TYPE, "application/problem+json");
            HEADERS.forEach(fields::put);
            return ByteBuffer.wrap(problem(clientStatus(status), null));
        }
    }
}
