package dev.warden.example.auction;

import static dev.warden.example.auction.Http.assertNoLeak;
import static dev.warden.example.auction.Http.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.PostgresExtension;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every endpoint over real HTTP against the real service on a real (embedded) PostgreSQL: the
 * success path and the error paths, each answered with the right status and a problem body that
 * says what is wrong and leaks nothing.
 */
class AuctionApiTest {

    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.shared().withFreshDatabasePerClass();

    static final String SECRET = randomSecret();
    static final List<String> INJECTIONS = List.of("x'; drop table listing; --", "1 OR 1=1", "\" or \"\"=\"",
            "'); delete from app_user where ('1'='1", "Robert'); DROP TABLE bid;--", "%_\\");

    static Warden warden;
    static AuctionApp app;
    static Http http;
    static Http management;
    static String admin;
    static String alice;
    static String bob;

    @BeforeAll
    static void start() throws Exception {
        // Another program's table in public (the quick start's, on a shared embedded database): the
        // service lives in its own schema and neither trips over it nor touches it.
        pg.exec("create table public.quickstart_run (id bigserial primary key)",
                "insert into public.quickstart_run default values");
        warden = AuctionApp.warden(config(pg.jdbcUrl()), true);
        app = AuctionApp.create(warden, options("api-test")).start();
        assertThat(app.awaitReady(60_000)).as("ready; failure: %s", app.startFailure()).isTrue();
        http = new Http("http://127.0.0.1:" + app.port());
        management = new Http("http://127.0.0.1:" + app.managementPort());
        admin = login("admin", "admin-password");
        alice = login("alice", "alice-password");
        bob = login("bob", "bob-password");
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (warden != null) {
            warden.close();
        }
    }

    /** The service's Warden configuration (its migrations included) on {@code url}, ignoring the environment. */
    static WardenConfig config(String url) {
        return AuctionApp.wardenConfig(configBuilder(url));
    }

    /** The builder of {@link #config}, for a test that sets more. */
    static WardenConfig.Builder configBuilder(String url) {
        return WardenConfig.builder().environment(Map.of()).dbUrl(url).poolMaxSize(8)
                .retryInitialBackoff(Duration.ofMillis(1)).retryMaxBackoff(Duration.ofMillis(50));
    }

    /** 32 random bytes in hex: a JWT secret the service accepts. */
    static String randomSecret() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return java.util.HexFormat.of().formatHex(key);
    }

    /** Options for a test app: any free API and management ports, {@link #SECRET}, demo data on. */
    static AppOptions options(String replica) {
        return new AppOptions(new AppOptions.Network("127.0.0.1", 0, 0), replica,
                new AppOptions.Tokens(SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(10)), 4096,
                Duration.ofMillis(100), true);
    }

    static String login(String user, String password) {
        Http.Resp r = http.post("/auth/login", null, json(Map.of("username", user, "password", password)));
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        return r.get("token").asText();
    }

    static String json(Object o) {
        try {
            return Http.JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String future(Duration d) {
        return Instant.now().plus(d).toString();
    }

    static long newListing(String token, String title, long start, long inc, Duration endsIn) {
        Http.Resp r = http.post("/listings", token, json(Map.of("title", title, "description", "desc",
                "startingPrice", start, "minIncrement", inc, "endsAt", future(endsIn))));
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return r.get("id").asLong();
    }

    static long approvedListing(String title, long start, long inc, Duration endsIn) {
        long id = newListing(alice, title, start, inc, endsIn);
        Http.Resp r = http.post("/admin/listings/" + id + "/approval", admin, "{\"approved\":true}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        return id;
    }

    // ---- users and auth ---------------------------------------------------------------------

    @Test
    void registerLoginAndMeWork() {
        Http.Resp reg = http.post("/auth/register", null, "{\"username\":\"carol\",\"password\":\"carol-password\"}");
        assertThat(reg.status()).isEqualTo(201);
        assertThat(reg.get("username").asText()).isEqualTo("carol");
        assertThat(reg.get("role").asText()).isEqualTo("user");
        assertThat(reg.raw()).doesNotContain("password");

        Http.Resp login = http.post("/auth/login", null, "{\"username\":\"carol\",\"password\":\"carol-password\"}");
        assertThat(login.status()).isEqualTo(200);
        assertThat(login.get("tokenType").asText()).isEqualTo("Bearer");
        assertThat(Instant.parse(login.get("expiresAt").asText())).isAfter(Instant.now());

        Http.Resp me = http.get("/me", login.get("token").asText());
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.get("username").asText()).isEqualTo("carol");
        assertThat(pg.queryLong("select count(*) from auction.app_user where username = 'carol'"
                + " and password_hash like '$2a$10$%'")).isEqualTo(1);
    }

    @Test
    void registerRefusesDuplicatesAndBadInput() {
        assertProblem(http.post("/auth/register", null, "{\"username\":\"alice\",\"password\":\"another-pw\"}"),
                409, "taken");
        assertProblem(http.post("/auth/register", null, "{\"username\":\"dave\","), 400, "not valid JSON");
        assertProblem(http.post("/auth/register", null, ""), 400, "JSON object is required");
        assertProblem(http.post("/auth/register", null, "[1,2]"), 400, "must be a JSON object");
        JsonNode missing = assertProblem(http.post("/auth/register", null, "{}"), 400, "is required");
        assertThat(missing.get("errors")).hasSize(2);
        assertThat(missing.get("errors").findValuesAsText("field")).containsExactlyInAnyOrder("username", "password");
        JsonNode types = assertProblem(http.post("/auth/register", null, "{\"username\":123,\"password\":true}"),
                400, "must be a string");
        assertThat(types.get("errors")).hasSize(2);
        assertProblem(http.post("/auth/register", null, "{\"username\":\"ed\",\"password\":\"long-enough\"}"),
                400, "3 to 32");
        assertProblem(http.post("/auth/register", null, "{\"username\":\"eddie\",\"password\":\"short\"}"),
                400, "at least 10 characters");
        assertProblem(http.post("/auth/register", null,
                "{\"username\":\"eddie\",\"password\":\"long-enough\",\"role\":\"admin\"}"), 400, "not a known field");
        assertProblem(http.post("/auth/register", null, "{\"username\":\"nul\\u0000l\",\"password\":\"long-enough\"}"),
                400, "username");
        for (String evil : INJECTIONS) {
            assertProblem(http.post("/auth/register", null, json(Map.of("username", evil, "password", "long-enough"))),
                    400, "letters, digits");
        }
        assertThat(pg.queryLong("select count(*) from auction.app_user where role = 'admin'")).isEqualTo(1);
    }

    @Test
    void injectionStringsArePlainDataInPasswordsAndLogins() {
        int i = 0;
        for (String evil : INJECTIONS) {
            String name = "inj" + (i++);
            String pw = (evil + "-padding").substring(0, Math.min(60, evil.length() + 8));
            assertThat(http.post("/auth/register", null, json(Map.of("username", name, "password", pw))).status())
                    .isEqualTo(201);
            assertThat(http.post("/auth/login", null, json(Map.of("username", name, "password", pw))).status())
                    .isEqualTo(200);
            assertProblem(http.post("/auth/login", null, json(Map.of("username", evil, "password", evil + "xx"))),
                    401, "Wrong username or password");
        }
    }

    @Test
    void loginRefusesWrongCredentials() {
        assertProblem(http.post("/auth/login", null, "{\"username\":\"alice\",\"password\":\"nope-nope\"}"),
                401, "Wrong username or password");
        assertProblem(http.post("/auth/login", null, "{\"username\":\"nobody\",\"password\":\"nope-nope\"}"),
                401, "Wrong username or password");
        assertProblem(http.post("/auth/login", null, "{\"username\":\"alice\"}"), 400, "password");
    }

    @Test
    void badOrExpiredTokensAre401() {
        Http.Resp none = http.get("/me", null);
        assertProblem(none, 401, "bearer token");
        assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
        assertProblem(http.get("/me", "RAW:Basic YWxpY2U6cHc="), 401, "Bearer <token>");
        assertProblem(http.get("/me", "not.a.jwt"), 401, "not valid");
        assertProblem(http.get("/me", alice.substring(0, alice.length() - 3) + "abc"), 401, "not valid");
        String otherKey = JWT.create().withIssuer(Auth.ISSUER).withSubject("2").withClaim("name", "alice")
                .withClaim("role", "admin").withExpiresAt(Date.from(Instant.now().plusSeconds(60)))
                .sign(Algorithm.HMAC256("some-other-secret-some-other-secret-000"));
        assertProblem(http.get("/me", otherKey), 401, "not valid");
        String expired = JWT.create().withIssuer(Auth.ISSUER).withSubject("2").withClaim("name", "alice")
                .withClaim("role", "user").withIssuedAt(Date.from(Instant.now().minusSeconds(7200)))
                .withExpiresAt(Date.from(Instant.now().minusSeconds(3600))).sign(Algorithm.HMAC256(SECRET));
        assertProblem(http.get("/me", expired), 401, "expired");
        assertProblem(http.post("/listings", expired, "{}"), 401, "expired");
    }

    // ---- listings ---------------------------------------------------------------------------

    @Test
    void listingLifecycleCreateUpdateApproveReject() {
        Http.Resp created = http.post("/listings", alice, json(Map.of("title", "Lamp", "description", "Brass",
                "startingPrice", 1000, "minIncrement", 50, "endsAt", future(Duration.ofDays(1)))));
        assertThat(created.status()).isEqualTo(201);
        long id = created.get("id").asLong();
        assertThat(created.get("status").asText()).isEqualTo("pending");
        assertThat(created.get("currentPrice").isNull()).isTrue();
        assertThat(created.get("minimumNextBid").asLong()).isEqualTo(1000);

        assertThat(http.get("/listings/" + id, alice).status()).isEqualTo(200);
        assertProblem(http.get("/listings/" + id, null), 404, "does not exist");
        assertProblem(http.get("/listings/" + id, bob), 404, "does not exist");
        assertThat(http.get("/listings/" + id, admin).status()).isEqualTo(200);

        Http.Resp mine = http.get("/listings?status=pending", alice);
        assertThat(mine.get("items").findValuesAsText("title")).contains("Lamp");
        assertThat(http.get("/listings?status=pending", bob).get("items").findValuesAsText("title")).doesNotContain("Lamp");
        assertProblem(http.get("/listings?status=pending", null), 401, "bearer token");

        Http.Resp updated = http.patch("/listings/" + id, alice, "{\"title\":\"Brass lamp\",\"minIncrement\":100}");
        assertThat(updated.status()).as(updated.raw()).isEqualTo(200);
        assertThat(updated.get("title").asText()).isEqualTo("Brass lamp");
        assertThat(updated.get("minIncrement").asLong()).isEqualTo(100);
        assertProblem(http.patch("/listings/" + id, admin, "{\"title\":\"Admin edit\"}"), 403, "Only the seller");
        assertProblem(http.patch("/listings/" + id, bob, "{\"title\":\"Bob edit\"}"), 404, "does not exist");
        assertProblem(http.patch("/listings/" + id, alice, "{\"minIncrement\":\"lots\"}"), 400, "whole number");
        assertProblem(http.patch("/listings/" + id, alice, "{\"endsAt\":\"yesterday\"}"), 400, "ISO-8601");
        assertProblem(http.patch("/listings/" + id, null, "{\"title\":\"x\"}"), 401, null);

        assertProblem(http.post("/admin/listings/" + id + "/approval", alice, "{\"approved\":true}"), 403, "admin");
        assertProblem(http.post("/admin/listings/" + id + "/approval", bob, "{\"approved\":true}"), 403, "admin");
        assertProblem(http.post("/admin/listings/" + id + "/approval", null, "{\"approved\":true}"), 401, null);
        assertProblem(http.post("/admin/listings/" + id + "/approval", admin, "{\"approved\":\"yes\"}"), 400, "true or false");
        assertProblem(http.post("/admin/listings/" + id + "/approval", admin, "{\"approved\":false}"), 400, "reason");
        assertProblem(http.post("/admin/listings/999999/approval", admin, "{\"approved\":true}"), 404, "does not exist");
        Http.Resp approved = http.post("/admin/listings/" + id + "/approval", admin, "{\"approved\":true}");
        assertThat(approved.status()).isEqualTo(200);
        assertThat(approved.get("status").asText()).isEqualTo("approved");
        assertProblem(http.post("/admin/listings/" + id + "/approval", admin, "{\"approved\":true}"), 409, "only pending");
        assertProblem(http.patch("/listings/" + id, alice, "{\"title\":\"Too late\"}"), 409, "only pending or rejected");
        assertThat(http.get("/listings/" + id, null).status()).isEqualTo(200);

        long other = newListing(alice, "Chair", 500, 10, Duration.ofDays(1));
        Http.Resp rejected = http.post("/admin/listings/" + other + "/approval", admin,
                "{\"approved\":false,\"reason\":\"blurry photo\"}");
        assertThat(rejected.get("status").asText()).isEqualTo("rejected");
        assertThat(rejected.get("rejectionReason").asText()).isEqualTo("blurry photo");
        Http.Resp resubmitted = http.patch("/listings/" + other, alice, "{\"description\":\"sharp photo\"}");
        assertThat(resubmitted.get("status").asText()).isEqualTo("pending");
    }

    @Test
    void createListingValidatesEveryField() {
        JsonNode p = assertProblem(http.post("/listings", alice, "{}"), 400, "is required");
        assertThat(p.get("errors").findValuesAsText("field"))
                .containsExactlyInAnyOrder("title", "startingPrice", "minIncrement", "endsAt");
        JsonNode types = assertProblem(http.post("/listings", alice, "{\"title\":7,\"description\":[],"
                + "\"startingPrice\":\"100\",\"minIncrement\":1.5,\"endsAt\":42}"), 400, null);
        assertThat(types.get("errors")).hasSize(5);
        assertProblem(http.post("/listings", alice, json(Map.of("title", "Old", "startingPrice", 1, "minIncrement", 1,
                "endsAt", "2001-01-01T00:00:00Z"))), 400, "in the future");
        assertProblem(http.post("/listings", alice, json(Map.of("title", "Neg", "startingPrice", -5, "minIncrement", 0,
                "endsAt", future(Duration.ofDays(1))))), 400, "must be from 1");
        assertProblem(http.post("/listings", alice, "{\"title\":\"Big\",\"startingPrice\":99999999999999999999999,"
                + "\"minIncrement\":1,\"endsAt\":\"" + future(Duration.ofDays(1)) + "\"}"), 400, "whole number");
        assertProblem(http.post("/listings", alice, "{\"title\":\"x\"" + ",".repeat(3)), 400, "not valid JSON");
        assertProblem(http.post("/listings", null, "{}"), 401, "bearer token");
    }

    @Test
    void injectionStringsInListingFieldsAreStoredVerbatim() {
        for (String evil : INJECTIONS) {
            String title = ("T " + evil);
            Http.Resp r = http.post("/listings", alice, json(Map.of("title", title, "description", evil,
                    "startingPrice", 100, "minIncrement", 10, "endsAt", future(Duration.ofDays(2)))));
            assertThat(r.status()).as(r.raw()).isEqualTo(201);
            long id = r.get("id").asLong();
            Http.Resp back = http.get("/listings/" + id, alice);
            assertThat(back.get("title").asText()).isEqualTo(title);
            assertThat(back.get("description").asText()).isEqualTo(evil);
            Http.Resp search = http.get("/listings?status=pending&q=" + java.net.URLEncoder.encode(evil,
                    StandardCharsets.UTF_8), alice);
            assertThat(search.status()).isEqualTo(200);
            assertThat(search.get("items").findValuesAsText("id")).contains(Long.toString(id));
            assertNoLeak(search);
            Http.Resp patched = http.patch("/listings/" + id, alice, json(Map.of("description", evil + evil)));
            assertThat(patched.get("description").asText()).isEqualTo(evil + evil);
            assertProblem(http.get("/listings/" + java.net.URLEncoder.encode(evil, StandardCharsets.UTF_8), alice),
                    400, "positive whole number");
            assertProblem(http.get("/listings?sellerId=" + java.net.URLEncoder.encode(evil, StandardCharsets.UTF_8),
                    null), 400, "sellerId");
        }
        assertThat(pg.queryLong("select count(*) from auction.listing")).isGreaterThanOrEqualTo(INJECTIONS.size());
        assertThat(pg.queryLong("select count(*) from auction.app_user")).isGreaterThanOrEqualTo(3);
    }

    @Test
    void listingSearchFiltersAndPages() {
        String tag = "Pager" + System.nanoTime();
        for (int i = 0; i < 5; i++) {
            approvedListing(tag + " item " + i, 100 + i * 100, 10, Duration.ofDays(3));
        }
        Http.Resp all = http.get("/listings?q=" + tag + "&size=2", null);
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.get("total").asLong()).isEqualTo(5);
        assertThat(all.get("items")).hasSize(2);
        Http.Resp page3 = http.get("/listings?q=" + tag + "&size=2&page=3", null);
        assertThat(page3.get("items")).hasSize(1);
        Http.Resp priced = http.get("/listings?q=" + tag + "&minPrice=200&maxPrice=400", null);
        assertThat(priced.get("total").asLong()).isEqualTo(3);
        Http.Resp seed = http.get("/listings?q=keyboard", null);
        assertThat(seed.get("total").asLong()).isEqualTo(1); // seeded once
        JsonNode bad = assertProblem(http.get("/listings?status=sold&page=0&size=1000&minPrice=-1", null), 400, null);
        assertThat(bad.get("errors").findValuesAsText("field")).containsExactlyInAnyOrder("status", "page", "size",
                "minPrice");
        assertProblem(http.get("/listings/999999", null), 404, "does not exist");
        assertProblem(http.get("/listings/abc", null), 400, "positive whole number");
    }

    // ---- bids -------------------------------------------------------------------------------

    @Test
    void biddingRulesHold() {
        long id = approvedListing("Clock", 1000, 100, Duration.ofDays(1));
        assertProblem(http.post("/listings/" + id + "/bids", bob, "{\"amount\":999}"), 409, "at least 1000");
        Http.Resp first = http.post("/listings/" + id + "/bids", bob, "{\"amount\":1000}");
        assertThat(first.status()).as(first.raw()).isEqualTo(201);
        assertThat(first.get("amount").asLong()).isEqualTo(1000);
        assertProblem(http.post("/listings/" + id + "/bids", bob, "{\"amount\":1099}"), 409,
                "current price 1000 + minimum increment 100");
        assertThat(http.post("/listings/" + id + "/bids", admin, "{\"amount\":1100}").status()).isEqualTo(201);
        assertProblem(http.post("/listings/" + id + "/bids", alice, "{\"amount\":5000}"), 403, "own listing");
        assertProblem(http.post("/listings/" + id + "/bids", null, "{\"amount\":5000}"), 401, null);
        assertProblem(http.post("/listings/" + id + "/bids", bob, "{\"amount\":\"5000\"}"), 400, "whole number");
        assertProblem(http.post("/listings/" + id + "/bids", bob, "{\"amount\":12.5}"), 400, "whole number");
        assertProblem(http.post("/listings/" + id + "/bids", bob, "{}"), 400, "amount: is required");
        assertProblem(http.post("/listings/" + id + "/bids", bob, "{\"amount\":\"1; drop table bid\"}"), 400, "amount");
        assertProblem(http.post("/listings/999999/bids", bob, "{\"amount\":5000}"), 404, "does not exist");

        Http.Resp listing = http.get("/listings/" + id, null);
        assertThat(listing.get("currentPrice").asLong()).isEqualTo(1100);
        assertThat(listing.get("bidCount").asInt()).isEqualTo(2);
        assertThat(listing.get("minimumNextBid").asLong()).isEqualTo(1200);
        Http.Resp bids = http.get("/listings/" + id + "/bids", null);
        assertThat(bids.get("items").findValuesAsText("amount")).containsExactly("1100", "1000");
        assertThat(bids.get("items").get(0).get("bidder").asText()).isEqualTo("admin");

        long pending = newListing(alice, "Unreviewed", 100, 10, Duration.ofDays(1));
        assertProblem(http.post("/listings/" + pending + "/bids", bob, "{\"amount\":500}"), 404, "does not exist");
        assertProblem(http.post("/listings/" + pending + "/bids", admin, "{\"amount\":500}"), 409, "approved listings");
    }

    @Test
    void auctionClosesAtItsEndTimeWithTheHighestBidderAsWinner() throws Exception {
        long id = approvedListing("Short auction", 100, 10, Duration.ofSeconds(3));
        assertThat(http.post("/listings/" + id + "/bids", bob, "{\"amount\":100}").status()).isEqualTo(201);
        assertThat(http.post("/listings/" + id + "/bids", admin, "{\"amount\":150}").status()).isEqualTo(201);
        JsonNode closed = await().alias("listing closed").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> http.get("/listings/" + id, null), r -> "closed".equals(r.get("status").asText())).json();
        assertThat(closed.get("winner").asText()).isEqualTo("admin");
        assertThat(closed.get("currentPrice").asLong()).isEqualTo(150);
        assertThat(closed.get("closedAt").isNull()).isFalse();
        assertProblem(http.post("/listings/" + id + "/bids", bob, "{\"amount\":1000}"), 409, "closed");
    }

    // ---- watchlist --------------------------------------------------------------------------

    @Test
    void watchlistAddsListsAndRemoves() {
        long id = approvedListing("Watched", 100, 10, Duration.ofDays(1));
        assertThat(http.put("/watchlist/" + id, bob).status()).isEqualTo(204);
        assertThat(http.put("/watchlist/" + id, bob).status()).isEqualTo(204); // idempotent
        assertThat(http.get("/watchlist", bob).get("items").findValuesAsText("id")).containsExactly(Long.toString(id));
        assertThat(http.get("/watchlist", admin).get("items")).isEmpty();
        assertThat(http.delete("/watchlist/" + id, bob).status()).isEqualTo(204);
        assertThat(http.get("/watchlist", bob).get("items")).isEmpty();
        assertProblem(http.put("/watchlist/999999", bob), 404, "does not exist");
        assertProblem(http.put("/watchlist/x", bob), 400, "positive whole number");
        assertProblem(http.get("/watchlist", null), 401, null);
    }

    // ---- transport --------------------------------------------------------------------------

    @Test
    void oversizedBodiesAre413() {
        String big = "{\"title\":\"" + "x".repeat(5000) + "\"}";
        assertProblem(http.post("/listings", alice, big), 413, "larger than");
        assertProblem(http.post("/auth/register", null, big), 413, "larger than");
        byte[] bytes = big.getBytes(StandardCharsets.UTF_8);
        // No Content-Length (chunked): the service counts the bytes itself.
        Http.Resp chunked = http.send(http.builder("/auth/register", null)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))));
        assertProblem(chunked, 413, "larger than");
    }

    @Test
    void unknownRoutesAndMethodsAreProblems() {
        assertProblem(http.get("/nope", null), 404, null);
        Http.Resp r = http.delete("/listings", alice);
        assertThat(r.status()).isIn(404, 405);
        assertProblem(r, r.status(), null);
    }

    @Test
    void probesHealthMetricsInfoAnswerOnTheManagementPortOnlyAndOpenApiOnTheApi() {
        assertThat(app.managementPort()).isNotEqualTo(app.port());
        for (String path : ManagementServer.PATHS) {
            assertProblem(http.get(path, null), 404, "No such resource");
        }
        assertThat(management.get("/health/live", null).status()).isEqualTo(200);
        assertThat(management.get("/health/startup", null).status()).isEqualTo(200);
        assertThat(management.get("/dashboard", null).status()).isEqualTo(200);
        Http.Resp ready = management.get("/health/ready", null);
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.get("state").asText()).isEqualTo("READY");

        // The only Warden on this database ran the migrations and the seed, once.
        Http.Resp health = management.get("/health", null);
        assertThat(health.status()).as(health.raw()).isEqualTo(200);
        JsonNode init = health.get("init");
        assertThat(init.get("status").asText()).isEqualTo("COMPLETED");
        assertThat(init.get("initializedHere").asBoolean()).isTrue();
        assertThat(init.get("owner").asText()).isEqualTo(warden.owner());
        assertThat(health.raw()).doesNotContain("password");
        assertThat(pg.queryLong("select count(*) from warden.init_epochs where status = 'COMPLETED'"
                + " and attempts = 1 and epoch = '" + init.get("epoch").asText() + "'")).isEqualTo(1);
        assertThat(pg.queryLong("select count(*) from auction.flyway_schema_history where success and type = 'SQL'")).isEqualTo(3);
        assertThat(pg.queryLong("select count(*) from information_schema.tables where table_name = 'auction_init'"))
                .isZero();
        assertThat(pg.queryLong("select count(*) from information_schema.tables where table_schema = 'public'"
                + " and table_name <> 'quickstart_run'")).as("nothing of the service in public").isZero();
        assertThat(pg.queryLong("select count(*) from public.quickstart_run")).isEqualTo(1);

        Http.Resp info = management.get("/info", null);
        assertThat(info.get("replica").asText()).isEqualTo("api-test");
        assertThat(info.get("initializedByThisReplica").asBoolean()).isTrue();
        assertThat(info.get("initializedBy").asText()).isEqualTo(warden.owner());
        assertThat(info.get("initEpoch").asText()).isEqualTo(init.get("epoch").asText());

        Http.Resp metrics = management.get("/metrics", null);
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.header("Content-Type")).startsWith("text/plain");
        assertThat(metrics.raw()).contains("warden_state{state=\"READY\"} 1.0", "warden_transactions_total",
                "hikaricp_connections_active");

        Http.Resp api = http.get("/openapi.json", null);
        assertThat(api.status()).isEqualTo(200);
        assertThat(api.get("openapi").asText()).startsWith("3.");
    }

    @Test
    void everyOperationInOpenApiIsServedAndDocumentsItsStatus() {
        long id = approvedListing("OpenAPI probe", 100, 10, Duration.ofDays(1));
        JsonNode paths = http.get("/openapi.json", null).get("paths");
        int operations = 0;
        for (var path = paths.fields(); path.hasNext(); ) {
            var p = path.next();
            for (var method = p.getValue().fields(); method.hasNext(); ) {
                var m = method.next();
                String url = p.getKey().replace("{id}", Long.toString(id));
                Http.Resp r = http.send(http.builder(url, admin).method(m.getKey().toUpperCase(java.util.Locale.ROOT),
                        HttpRequest.BodyPublishers.ofString(m.getValue().has("requestBody") ? "{}" : "")));
                assertThat(r.raw()).as("%s %s is routed", m.getKey(), url).doesNotContain("No such resource: ");
                assertThat(m.getValue().get("responses").has(Integer.toString(r.status())))
                        .as("%s %s answered %d, which it documents", m.getKey(), url, r.status()).isTrue();
                operations++;
            }
        }
        assertThat(operations).isEqualTo(14);
    }
}
