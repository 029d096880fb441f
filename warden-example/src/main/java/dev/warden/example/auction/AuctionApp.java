package dev.warden.example.auction;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The auction API on Warden: Javalin (virtual threads) for HTTP, Jdbi for SQL, every data access in
 * a Warden transaction. {@link #warden(WardenConfig, boolean)} builds the service's Warden (its
 * migrations, the demo data when asked for, Prometheus meters); {@link #create(Warden, AppOptions)}
 * builds the service on it; {@link #start()} serves HTTP at once, the API on {@link #port()} (503 +
 * Retry-After until ready) and the operator endpoints on {@link #managementPort()} (warden-http's
 * probes answer and show start-up progress), then starts Warden, which migrates and seeds once per
 * epoch across all replicas, and then the auction closer; {@link #close()} stops all of it except
 * the Warden, which the caller owns. Every response carries security headers and every error is a
 * problem body ({@link HttpHardening}).
 *
 * <p>Endpoints, errors and the bidding invariant are described in {@code docs/service.md}.
 */
public final class AuctionApp implements AutoCloseable {

    /** Flyway location of the auction's schema: the service's {@code WARDEN_MIGRATIONS} unless that is set. */
    public static final String MIGRATIONS = "classpath:db/migration/auction";

    /**
     * The schema the auction's tables live in: the service's {@code WARDEN_SCHEMAS} unless that is
     * set. Its own schema, not {@code public}: other programs on the same database (the quick start
     * on the shared embedded one, say) keep their tables out of its way, and a wipe drops only it.
     */
    public static final String SCHEMA = "auction";

    private static final Logger log = LoggerFactory.getLogger(AuctionApp.class);
    private static final Set<String> ALWAYS_OPEN = Set.of("/openapi.json");

    private final Warden warden;
    private final AppOptions options;
    private final ObjectMapper json;
    private final OutageLog outages;
    private final Problems problems;
    private final Auth auth;
    private final Auction auction;
    private final Accounts accounts;
    private final Listings listings;
    private final Javalin javalin;
    private final ManagementServer management;
    private final byte[] openApi;
    private volatile Throwable startFailure;
    private ScheduledExecutorService closer; // guarded by this
    private boolean closed; // guarded by this

    private AuctionApp(Warden warden, AppOptions options, LoginThrottle throttle) {
        this.warden = warden;
        this.options = options;
        // Strict reading: a duplicate key or anything after the body is a 400, never "the last one wins".
        this.json = new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.outages = new OutageLog(warden.meterRegistry().orElse(null));
        this.problems = new Problems(json, outages);
        this.auction = new Auction(new Db(warden), options.replica());
        this.auth = new Auth(options.tokens().jwtSecret(), options.tokens().tokenTtl(), Clock.systemUTC(), auction::principal);
        this.accounts = new Accounts(auction, auth, throttle, (ctx, fields) -> body(ctx, fields.toArray(String[]::new)));
        this.listings = new Listings(auction, auth, (ctx, fields) -> body(ctx, fields.toArray(String[]::new)));
        this.openApi = loadOpenApi();
        this.javalin = Javalin.create(this::configure);
        this.management = new ManagementServer(warden, options, json);
    }

    /**
     * Warden's configuration for the service: {@code builder}'s settings ({@code WARDEN_*} for
     * {@code WardenConfig.builder()}), with {@link #MIGRATIONS} and {@link #SCHEMA} where
     * {@code WARDEN_MIGRATIONS} and {@code WARDEN_SCHEMAS} are not set.
     */
    public static WardenConfig wardenConfig(WardenConfig.Builder builder) {
        return builder.defaults(Map.of("WARDEN_MIGRATIONS", MIGRATIONS, "WARDEN_SCHEMAS", SCHEMA)).build();
    }

    /**
     * The service's Warden, not started: {@code config} (see {@link #wardenConfig}) and a Prometheus
     * registry for its meters, which {@code /metrics} serves; no demo data.
     */
    public static Warden warden(WardenConfig config) {
        return warden(config, false);
    }

    /**
     * Like {@link #warden(WardenConfig)}, with the demo users and listings ({@link AuctionSeeder},
     * version {@link AuctionSeeder#VERSION}) when {@code demoData} ({@code AUCTION_DEMO_DATA}, set by
     * {@code warden demo}). A production deployment loads none: no account exists until one registers.
     */
    public static Warden warden(WardenConfig config, boolean demoData) {
        var builder = Warden.builder().config(config)
                .meterRegistry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        if (demoData) {
            builder.seeder(AuctionSeeder.VERSION, new AuctionSeeder());
        }
        return builder.build();
    }

    /**
     * The service on this Warden (not started; normally from {@link #warden(WardenConfig)}) with
     * these options; call {@link #start()} next.
     */
    public static AuctionApp create(Warden warden, AppOptions options) {
        return new AuctionApp(warden, options, LoginThrottle.defaults());
    }

    /** Like {@link #create(Warden, AppOptions)} with this login throttle (tests). */
    static AuctionApp create(Warden warden, AppOptions options, LoginThrottle throttle) {
        return new AuctionApp(warden, options, throttle);
    }

    /** The port the API is served on (after {@link #start()}). */
    public int port() {
        return javalin.port();
    }

    /** The port of the operator endpoints, {@code /health*}, {@code /metrics}, {@code /dashboard}, {@code /info} (after {@link #start()}). */
    public int managementPort() {
        return management.port();
    }

    /** The API's 503 answers, counted by reason and logged by transition. */
    OutageLog outages() {
        return outages;
    }

    /** True when Warden is READY (started, initialised, database answering): the API serves requests. */
    public boolean ready() {
        return warden.state() == State.READY;
    }

    /** Why start-up failed (e.g. the initialisation failed for good), or null. */
    public Throwable startFailure() {
        return startFailure;
    }

    /**
     * Serves HTTP (probes, and 503 from the API), then, in the background, starts Warden, which
     * returns once the epoch is initialised here or by another replica, and then the auction closer.
     * Returns at once; {@link #awaitReady(long)} waits for readiness.
     */
    public synchronized AuctionApp start() {
        javalin.start(options.network().host(), options.network().port());
        management.start();
        Thread.ofVirtual().name("auction-start").start(() -> {
            try {
                warden.start();
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    closer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                            .name("auction-closer").unstarted(r));
                    long every = options.closeInterval().toMillis();
                    closer.scheduleWithFixedDelay(this::closeDue, every, every, TimeUnit.MILLISECONDS);
                }
                log.info("Auction service {} ready on port {} ({})", options.replica(), port(), warden.initStatus()
                        .map(s -> s.initializedHere() ? "initialised epoch " + s.epoch() + " here"
                                : "epoch " + s.epoch() + " initialised by " + s.owner().name())
                        .orElse("nothing to initialise"));
            } catch (Throwable t) {
                startFailure = t;
                if (isClosed()) {
                    log.info("Auction service {} closed before it was ready: {}", options.replica(), t.getMessage());
                } else {
                    log.error("Auction service {} failed to start: {}", options.replica(), t.getMessage());
                }
            }
        });
        return this;
    }

    /** Waits up to {@code millis} for readiness; true when ready, false on time-out or failure. */
    public boolean awaitReady(long millis) {
        return warden.awaitReady(Duration.ofMillis(millis));
    }

    private void closeDue() {
        if (warden.state() != State.READY) { // DEGRADED: the database is unreachable, a try would only log a failure a second
            return;
        }
        try {
            int n;
            int rounds = 0;
            do {
                n = auction.closeDue(100);
                if (n > 0) {
                    log.info("Closed {} auction(s) that reached their end time", n);
                }
            } while (n == 100 && ++rounds < 10);
        } catch (RuntimeException e) {
            log.warn("Closing due auctions failed (will try again): {}", e.getMessage());
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Stops HTTP and the closer. The Warden stays open, even while starting: its owner closes it
     * (which ends a start in progress).
     */
    @Override
    public synchronized void close() {
        closed = true;
        if (closer != null) {
            closer.shutdownNow();
        }
        javalin.stop();
        management.close();
    }

    // ---- configuration ----------------------------------------------------------------------

    private void configure(JavalinConfig config) {
        config.concurrency.useVirtualThreads = true;
        config.startup.showJavalinBanner = false;
        config.startup.showOldJavalinVersionWarning = false;
        config.http.maxRequestSize = options.maxBodyBytes();
        config.jsonMapper(new JavalinJackson(json, false));
        HttpHardening.install(config);
        config.routes.exception(Exception.class, problems::handle);
        config.routes.before(this::gate);
        config.routes.after(ctx -> outages.answered(ctx.statusCode()));
        // Javalin's own 404 (no route) and 405 answers become problems too; ours already are.
        for (int status : new int[] {404, 405}) {
            config.routes.error(status, "*", ctx -> {
                String type = ctx.res().getContentType();
                if (type == null || !type.startsWith("application/problem+json")) {
                    problems.write(ctx, status == 404 ? ApiException.notFound("No such resource: " + ctx.method()
                            + " " + ctx.path() + ". See /openapi.json for the API.")
                            : new ApiException(405, "Method not allowed", "This resource does not support "
                            + ctx.method() + "."));
                }
            });
        }

        // The operator endpoints (/health*, /metrics, /dashboard, /info) are on the management port only.
        get(config, "/openapi.json", ctx -> ctx.contentType("application/json").result(openApi));

        config.routes.post("/auth/register", accounts::register);
        config.routes.post("/auth/login", accounts::login);
        get(config, "/me", ctx -> ctx.json(auction.user(auth.require(ctx).userId())));

        get(config, "/listings", listings::list);
        config.routes.post("/listings", listings::create);
        get(config, "/listings/{id}", listings::get);
        config.routes.patch("/listings/{id}", listings::update);
        config.routes.post("/admin/listings/{id}/approval", listings::review);
        config.routes.post("/listings/{id}/bids", listings::bid);
        get(config, "/listings/{id}/bids", listings::bids);

        get(config, "/watchlist", ctx -> ctx.json(Map.of("items", auction.watchlist(auth.require(ctx)))));
        config.routes.put("/watchlist/{id}", ctx -> {
            auction.watch(auth.require(ctx), Listings.id(ctx, "id"));
            ctx.status(204);
        });
        config.routes.delete("/watchlist/{id}", ctx -> {
            auction.unwatch(auth.require(ctx), Listings.id(ctx, "id"));
            ctx.status(204);
        });
    }

    /** A GET route, and HEAD on the same handler: HEAD answers exactly as GET would, authentication included. */
    private static void get(JavalinConfig config, String path, Handler handler) {
        config.routes.get(path, handler);
        config.routes.head(path, handler);
    }

    /**
     * Refuses oversized bodies early, and API calls until Warden has started (503 + Retry-After) or
     * after it stopped. In DEGRADED calls go through: Warden refuses them at once with
     * {@code DatabaseUnavailableException}, which {@link Problems} answers with 503 too.
     */
    private void gate(Context ctx) {
        String length = ctx.header("Content-Length");
        if (length != null) {
            long declared = AsciiNumbers.parse(length.trim()).orElse(-1);
            if (declared < 0) {
                throw ApiException.badRequest("Content-Length", "must be a whole number");
            }
            if (declared > options.maxBodyBytes()) {
                throw tooLarge();
            }
        }
        State state = warden.state();
        if (state != State.READY && state != State.DEGRADED && !ALWAYS_OPEN.contains(ctx.path())) {
            throw Problems.unavailable(switch (state) {
                case STARTING, CONNECTING, INITIALIZING -> "The service is starting (" + state + "); retry shortly.";
                default -> "The service is " + state + " and takes no requests; retry shortly.";
            });
        }
    }

    private ApiException tooLarge() {
        return new ApiException(413, "Content too large", "The request body is larger than the "
                + options.maxBodyBytes() + " bytes this service accepts.");
    }

    // ---- handlers ---------------------------------------------------------------------------

    private Body body(Context ctx, String... fields) {
        requireJson(ctx.header("Content-Type"));
        byte[] bytes = readBody(ctx);
        return Body.parse(bytes, json, Set.of(fields));
    }

    /**
     * 415 unless the body is declared JSON: {@code application/json}, with no parameter but
     * {@code charset=utf-8}. A form post or a text body is refused before it is read, never guessed at.
     */
    static void requireJson(String contentType) {
        if (contentType != null) {
            String[] parts = contentType.split(";");
            boolean json = parts[0].strip().equalsIgnoreCase("application/json");
            for (int i = 1; i < parts.length && json; i++) {
                String p = parts[i].strip().replace("\"", "");
                json = p.isEmpty() || p.equalsIgnoreCase("charset=utf-8");
            }
            if (json) {
                return;
            }
        }
        throw new ApiException(415, "Unsupported media type", "The request body must be JSON, sent with"
                + " 'Content-Type: application/json' (UTF-8); " + (contentType == null ? "this request has no Content-Type."
                : "this request declares another type."));
    }

    /** Reads the body, counting bytes, so that a chunked body without Content-Length is bounded too. */
    private byte[] readBody(Context ctx) {
        long max = options.maxBodyBytes();
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] bytes = in.readNBytes((int) max + 1);
            if (bytes.length > max) {
                throw tooLarge();
            }
            return bytes;
        } catch (IOException e) {
            throw ApiException.badRequest("body", "could not be read");
        }
    }

    private static byte[] loadOpenApi() {
        try (InputStream in = AuctionApp.class.getResourceAsStream("/openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("openapi.json could not be read", e);
        }
    }
}
