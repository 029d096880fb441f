package dev.warden.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.warden.Warden;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves Warden's probes, report, metrics and dashboard over HTTP: {@code /health/live}, {@code /health/startup},
 * {@code /health/ready}, {@code /health}, {@code /metrics} and {@code /dashboard}.
 * <pre>{@code
 * try (WardenHttp http = WardenHttp.start(warden, 9080)) {   // standalone, 127.0.0.1:9080
 *     ...
 * }
 * Javalin.create(WardenHttp.javalin(warden)).start(8080);    // or mounted in a Javalin app
 * }</pre>
 * The standalone server runs on the JDK's HTTP server (no extra dependency) with two daemon
 * threads of its own, so a slow scrape never delays a probe of the application's threads.
 */
public final class WardenHttp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WardenHttp.class);

    private final HttpServer server;
    private final ExecutorService executor;

    private WardenHttp(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts the management server on 127.0.0.1 at {@code port} (0 for any free port). */
    public static WardenHttp start(Warden warden, int port) {
        return start(warden, new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    /**
     * Starts the management server on {@code address} (e.g. {@code 0.0.0.0:9080} inside a
     * container, where the orchestrator probes from outside).
     *
     * @throws java.io.UncheckedIOException when the address cannot be bound
     */
    public static WardenHttp start(Warden warden, InetSocketAddress address) {
        HealthEndpoints endpoints = new HealthEndpoints(warden);
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Could not bind the management server to " + address
                    + " (WARDEN_MANAGEMENT_PORT): " + e.getMessage(), e);
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "warden-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> handle(endpoints, exchange));
        server.start();
        WardenHttp http = new WardenHttp(server, executor);
        log.info("Warden management server on http://{}:{}/health", address.getHostString(), http.port());
        return http;
    }

    private static void handle(HealthEndpoints endpoints, HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            HealthEndpoints.Response r;
            if (!method.equals("GET") && !method.equals("HEAD")) {
                r = new HealthEndpoints.Response(405, "text/plain; charset=utf-8", "Only GET and HEAD.\n",
                        java.util.Map.of("Allow", "GET, HEAD"));
            } else {
                try {
                    r = endpoints.answer(exchange.getRequestURI().getPath());
                } catch (RuntimeException e) {
                    log.warn("Management endpoint {} failed: {}", exchange.getRequestURI().getPath(), e.toString());
                    r = new HealthEndpoints.Response(500, "text/plain; charset=utf-8", "Internal error.\n",
                            java.util.Map.of());
                }
                if (r == null) {
                    r = new HealthEndpoints.Response(404, "text/plain; charset=utf-8", "Not found. Try /health.\n",
                            java.util.Map.of());
                }
            }
            byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", r.contentType());
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            r.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            boolean head = method.equals("HEAD");
            exchange.sendResponseHeaders(r.status(), head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    /**
     * A Javalin configuration step that mounts the endpoints ({@link HealthEndpoints#PATHS}) in an application:
     * {@code Javalin.create(WardenHttp.javalin(warden))}, or call it inside your own
     * {@code Javalin.create(config -> …)}. Needs {@code io.javalin:javalin} 7 on the classpath.
     */
    public static Consumer<io.javalin.config.JavalinConfig> javalin(Warden warden) {
        return WardenJavalin.routes(Objects.requireNonNull(warden, "warden"));
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops the server (at once) and its threads. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
