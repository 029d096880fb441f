package dev.warden.example.auction;

import static dev.warden.example.auction.Http.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.Warden;
import dev.warden.testing.ChildJvm;
import dev.warden.testing.PostgresDatabase;
import dev.warden.testing.PostgresExtension;
import dev.warden.testing.ThrowawayDatabase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The service under attack: every input class of the security review (issue 15) sent over real HTTP
 * (or a raw socket, for what no HTTP client sends) to the real service on a real PostgreSQL, each
 * with the status it must get. The service runs as production does: no demo data.
 */
class SecurityTest {

    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.shared().withFreshDatabasePerClass();

    static final String SECRET = AuctionApiTest.randomSecret();

    /** Options for one more service of a test: any free ports, this replica name, 4096-byte bodies, no demo data. */
    private static AppOptions options(String replica) {
        return new AppOptions(new AppOptions.Network("127.0.0.1", 0, 0), replica,
                new AppOptions.Tokens(SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(10)), 4096,
                Duration.ofSeconds(1), false);
    }

    static Warden warden;
    static AuctionApp app;
    static Http http;
    static Http management;
    static String mallory;
    static long malloryId;
    static String victor;

    @BeforeAll
    static void start() {
        warden = AuctionApp.warden(AuctionApiTest.config(pg.jdbcUrl())); // as deployed: no demo data
        AppOptions options = new AppOptions(new AppOptions.Network("127.0.0.1", 0, 0), "security-test",
                new AppOptions.Tokens(SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(10)), 16 * 1024,
                Duration.ofSeconds(1), false);
        // The address limit is high here so the tests do not share it; addressLimitIs429 uses its own.
        app = AuctionApp.create(warden, options, new LoginThrottle(new LoginThrottle.Limits(
                new LoginThrottle.Limit(1000, Duration.ofMillis(10)), LoginThrottle.PER_USERNAME_AND_ADDRESS,
                LoginThrottle.PER_USERNAME, LoginThrottle.USERNAME_DELAY), 1000, Clock.systemUTC())).start();
        assertThat(app.awaitReady(60_000)).as("ready; failure: %s", app.startFailure()).isTrue();
        http = new Http("http://127.0.0.1:" + app.port());
        management = new Http("http://127.0.0.1:" + app.managementPort());
        mallory = registerAndLogin("mallory", "mallory-passphrase-1");
        malloryId = http.get("/me", mallory).get("id").asLong();
        victor = registerAndLogin("victor", "victor-passphrase-1");
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

    static String registerAndLogin(String user, String password) {
        Http.Resp r = http.post("/auth/register", null, json(Map.of("username", user, "password", password)));
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return login(http, user, password);
    }

    static String login(Http api, String user, String password) {
        Http.Resp r = api.post("/auth/login", null, json(Map.of("username", user, "password", password)));
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        return r.get("token").asText();
    }

    static String json(Object o) {
        return AuctionApiTest.json(o);
    }

    // ---- what ships ---------------------------------------------------------------------------

    @Test
    void withoutDemoDataThereAreNoAccountsToLogInWith() {
        assertThat(AppOptions.from(Map.of()).demoData()).isFalse();
        assertThat(AppOptions.from(Map.of("AUCTION_DEMO_DATA", "true")).demoData()).isTrue();
        assertThatThrownBy(() -> AppOptions.from(Map.of("AUCTION_DEMO_DATA", "yes")))
                .hasMessageContaining("AUCTION_DEMO_DATA must be true or false");
        for (String[] u : AuctionSeeder.DEMO_USERS) {
            assertProblem(http.post("/auth/login", null, json(Map.of("username", u[0], "password", u[1]))),
                    401, "Wrong username or password");
        }
        assertThat(pg.queryLong("select count(*) from auction.app_user where role = 'admin'")).isZero();
        assertThat(pg.queryLong("select count(*) from auction.listing where seed_key is not null")).isZero();
    }

    @Test
    void placeholderKnownAndGuessableJwtSecretsAreRefusedWithoutShowingThem() {
        String[] bad = {"change-me-to-32-or-more-random-bytes-please", "REPLACE-ME-with-openssl-rand-base64-32-output",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "0123456789012345678901234567890123456789",
                "Zx9!Zx9!Zx9!Zx9!Zx9!Zx9!Zx9!Zx9!Zx9!", "your-jwt-signing-key-goes-here-000000", "short",
                "the auction service signs its tokens with this phrase, 2026!", // a hand-made phrase
                "correcthorsebatterystaplecorrecthorse", "deadbeefdeadbeefcafebabecafebabe", "00ff00ff00ff00ff",
                "0123456789abcdef0123456789abcdef", "q3Vt0m9L2xPz8Yb4Kc1R"}; // 120 bits of base64: too short
        for (String secret : bad) {
            assertThatThrownBy(() -> AppOptions.from(Map.of("AUCTION_JWT_SECRET", secret)))
                    .as(secret).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("AUCTION_JWT_SECRET must be a random key of at least 128 bits")
                    .hasMessageContaining("hex").hasMessageContaining("base64")
                    .message().doesNotContain(secret);
        }
        // What `openssl rand -base64 32` and `warden demo` (hex of 32 random bytes) make is accepted.
        assertThat(AppOptions.from(Map.of("AUCTION_JWT_SECRET", "q3Vt0m9L2xPz8Yb4Kc1Rw7Hd6Ns5Jf0Ga2Ue9Io3Tl8="))
                .tokens().jwtSecret())
                .hasSize(44);
        assertThat(AppOptions.from(Map.of("AUCTION_JWT_SECRET", SECRET)).tokens().jwtSecret()).hasSize(64);
        // No random key of 128 bits or more is refused, in any usual form: 2,000 of each (seeded, so
        // that the run is the same every time; case-blind words refused one of them in about 2 % of runs).
        java.util.Random random = new java.util.Random(20261204L);
        for (int i = 0; i < 2_000; i++) {
            for (int size : new int[] {16, 32}) {
                byte[] key = new byte[size];
                random.nextBytes(key);
                JwtSecretPolicy.check(java.util.HexFormat.of().formatHex(key));
                JwtSecretPolicy.check(java.util.HexFormat.of().withUpperCase().formatHex(key));
                JwtSecretPolicy.check(java.util.Base64.getEncoder().encodeToString(key));
                JwtSecretPolicy.check(java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(key));
            }
        }
        // A random 128-bit hex key (refused before: its estimated entropy fell short) starts the service.
        byte[] key = new byte[16];
        random.nextBytes(key);
        assertThat(AppOptions.from(Map.of("AUCTION_JWT_SECRET", java.util.HexFormat.of().formatHex(key)))
                .tokens().jwtSecret())
                .hasSize(32);
    }

    @Test
    @Timeout(60)
    void theServiceDoesNotStartWithThePlaceholderSecretAndSaysWhichVariable() throws Exception {
        String placeholder = "REPLACE-ME-with-openssl-rand-base64-32-output";
        try (ChildJvm service = ChildJvm.builder(AuctionMain.class).jvmArgs("-Xmx128m")
                .env(Map.of("AUCTION_JWT_SECRET", placeholder, "WARDEN_DB_URL", pg.jdbcUrl(), "PORT", "0")).start()) {
            Optional<Integer> exit = service.awaitExit(Duration.ofSeconds(50));
            String out = service.output();
            assertThat(exit).as(out).hasValue(2);
            assertThat(out).contains("AUCTION_JWT_SECRET").doesNotContain(placeholder);
        }
    }

    @Test
    void managementPortIsValidatedAndApartFromTheApi() {
        assertThat(AppOptions.from(Map.of("PORT", "8080")).network().managementPort()).isEqualTo(9080);
        assertThat(AppOptions.from(Map.of("PORT", "8081")).network().managementPort()).isEqualTo(9081);
        assertThat(AppOptions.from(Map.of("PORT", "0")).network().managementPort()).isZero();
        assertThat(AppOptions.from(Map.of("PORT", "8080", "WARDEN_MANAGEMENT_PORT", "7000")).network().managementPort())
                .isEqualTo(7000);
        assertThatThrownBy(() -> AppOptions.from(Map.of("PORT", "8080", "WARDEN_MANAGEMENT_PORT", "8080")))
                .hasMessageContaining("WARDEN_MANAGEMENT_PORT must differ from PORT");
        assertThatThrownBy(() -> AppOptions.from(Map.of("WARDEN_MANAGEMENT_PORT", "abc")))
                .hasMessageContaining("WARDEN_MANAGEMENT_PORT must be a whole number, got \"abc\"");
        assertThatThrownBy(() -> AppOptions.from(Map.of("WARDEN_MANAGEMENT_PORT", "70000")))
                .hasMessageContaining("WARDEN_MANAGEMENT_PORT must be 0 to 65535");
        assertThatThrownBy(() -> AppOptions.from(Map.of("PORT", "65000")))
                .hasMessageContaining("WARDEN_MANAGEMENT_PORT must be set");
        for (String path : ManagementServer.PATHS) {
            assertThat(http.get(path, null).status()).as("API %s", path).isEqualTo(404);
            assertThat(management.get(path, null).status()).as("management %s", path).isIn(200, 503);
        }
    }

    // ---- login throttling ---------------------------------------------------------------------

    @Test
    void aUsernameIsThrottledAfterFiveWrongPasswordsWithoutAnyBcryptWork() {
        registerAndLogin("tom", "tom-passphrase-123");
        for (int i = 0; i < LoginThrottle.PER_USERNAME_AND_ADDRESS.burst(); i++) {
            assertProblem(http.post("/auth/login", null, json(Map.of("username", "tom", "password", "guess-" + i))),
                    401, "Wrong username or password");
        }
        long checks = Passwords.checks();
        for (String name : new String[] {"tom", "TOM", "Tom"}) { // the same username, whatever its case
            Http.Resp throttled = http.post("/auth/login", null,
                    json(Map.of("username", name, "password", "tom-passphrase-123"))); // even the right one
            assertProblem(throttled, 429, "Too many login attempts");
            assertThat(Long.parseLong(throttled.header("Retry-After"))).isBetween(1L, 30L);
        }
        assertThat(Passwords.checks()).as("bcrypt checks for throttled attempts").isEqualTo(checks);
        // Someone else is not affected, and a name that does not exist is throttled just the same.
        login(http, "victor", "victor-passphrase-1");
        for (int i = 0; i < LoginThrottle.PER_USERNAME_AND_ADDRESS.burst(); i++) {
            assertProblem(http.post("/auth/login", null, json(Map.of("username", "nobody-" + "x", "password",
                    "guess-" + i))), 401, "Wrong username or password");
        }
        assertProblem(http.post("/auth/login", null, json(Map.of("username", "nobody-x", "password", "guess"))),
                429, "Too many");
    }

    @Test
    void anUnknownUsernameCostsTheSameBcryptCheckAsAKnownOne() {
        long before = Passwords.checks();
        assertProblem(http.post("/auth/login", null, json(Map.of("username", "ghost-1", "password", "whatever-1"))),
                401, "Wrong username or password");
        assertThat(Passwords.checks()).isEqualTo(before + 1);
        assertProblem(http.post("/auth/login", null, json(Map.of("username", "victor", "password", "whatever-1"))),
                401, "Wrong username or password");
        assertThat(Passwords.checks()).isEqualTo(before + 2);
    }

    @Test
    void aClientAddressIsThrottledAcrossUsernames() {
        AuctionApp strict = AuctionApp.create(warden, options("strict"),
                new LoginThrottle(new LoginThrottle.Limits(new LoginThrottle.Limit(3, Duration.ofMinutes(1)),
                        LoginThrottle.PER_USERNAME_AND_ADDRESS, LoginThrottle.PER_USERNAME, LoginThrottle.USERNAME_DELAY),
                        100, Clock.systemUTC())).start();
        try {
            Http api = new Http("http://127.0.0.1:" + strict.port());
            for (int i = 0; i < 3; i++) {
                assertProblem(api.post("/auth/login", null, json(Map.of("username", "spray-" + i, "password", "pw-pw-pw"))),
                        401, "Wrong");
            }
            Http.Resp r = api.post("/auth/login", null, json(Map.of("username", "spray-9", "password", "pw-pw-pw")));
            assertProblem(r, 429, "from this address");
            assertThat(Long.parseLong(r.header("Retry-After"))).isBetween(1L, 60L);
            // Registering (a bcrypt hash each) draws on the same bucket.
            Http.Resp reg = api.post("/auth/register", null, json(Map.of("username", "spray-new", "password",
                    "spray-passphrase-1")));
            assertProblem(reg, 429, "registrations");
            assertThat(pg.queryLong("select count(*) from auction.app_user where username = 'spray-new'")).isZero();
        } finally {
            strict.close();
        }
    }

    @Test
    void theThrottleRefillsGivesBackOnSuccessAndKeepsABoundedNumberOfBuckets() {
        Instant[] now = {Instant.parse("2030-01-01T00:00:00Z")};
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now[0];
            }
        };
        LoginThrottle t = new LoginThrottle(new LoginThrottle.Limits(new LoginThrottle.Limit(100, Duration.ofSeconds(1)),
                new LoginThrottle.Limit(2, Duration.ofSeconds(10)), new LoginThrottle.Limit(1000, Duration.ofSeconds(1)),
                Duration.ofSeconds(1)), 50, clock);
        assertThat(t.acquire("u", "a").refused()).isFalse();
        assertThat(t.acquire("U", "a").refused()).isFalse();
        assertThat(t.acquire("u", "a").retryAfterSeconds()).isEqualTo(10);
        now[0] = now[0].plusSeconds(4);
        assertThat(t.acquire("u", "a").retryAfterSeconds()).isBetween(6L, 7L);
        now[0] = now[0].plusSeconds(6);
        LoginThrottle.Decision success = t.acquire("u", "a");
        assertThat(success.refused()).isFalse();
        t.giveBack("u", "a", success); // a success gives its token back
        assertThat(t.acquire("u", "a").refused()).isFalse();
        // An attacker spraying names and addresses does not grow memory past the bound.
        for (int i = 0; i < 10_000; i++) {
            t.acquire("name-" + i, "10.0." + (i / 256) + "." + (i % 256));
        }
        assertThat(t.size()).isLessThanOrEqualTo(150);
        // The username-wide limit slows a distributed attack and never refuses: not the attackers, not the victim.
        LoginThrottle wide = new LoginThrottle(new LoginThrottle.Limits(new LoginThrottle.Limit(100, Duration.ofSeconds(1)),
                new LoginThrottle.Limit(5, Duration.ofSeconds(30)), new LoginThrottle.Limit(2, Duration.ofMinutes(10)),
                Duration.ofSeconds(1)), 50, clock);
        for (int i = 0; i < 40; i++) {
            LoginThrottle.Decision d = wide.acquire("v", "10.9.0." + i);
            assertThat(d.refused()).isFalse();
            assertThat(d.delay()).isEqualTo(i < 2 ? Duration.ZERO : Duration.ofSeconds(1));
        }
        LoginThrottle.Decision victim = wide.acquire("V", "192.0.2.7");
        assertThat(victim.refused()).isFalse();
        assertThat(victim.delay()).isLessThanOrEqualTo(LoginThrottle.USERNAME_DELAY);
    }

    @Test
    @Timeout(120)
    void anAttackersFailuresFromOneAddressNeverLockOutTheVictimOnAnother() throws Exception {
        // Small username-wide limit, so that the attack below empties it too.
        LoginThrottle throttle = new LoginThrottle(new LoginThrottle.Limits(new LoginThrottle.Limit(1000, Duration.ofMillis(10)),
                LoginThrottle.PER_USERNAME_AND_ADDRESS, new LoginThrottle.Limit(3, Duration.ofMinutes(10)),
                LoginThrottle.USERNAME_DELAY), 100, Clock.systemUTC());
        AuctionApp guarded = AuctionApp.create(warden, options("guarded"), throttle).start();
        try {
            String base = "http://127.0.0.1:" + guarded.port();
            Http victim = new Http(base); // from 127.0.0.1
            Http attacker = new Http(base, InetAddress.getByName("127.0.0.2"));
            Http attacker2 = new Http(base, InetAddress.getByName("127.0.0.3"));
            assertThat(victim.post("/auth/register", null, json(Map.of("username", "vera", "password",
                    "vera-passphrase-1"))).status()).isEqualTo(201);
            for (int i = 0; i < LoginThrottle.PER_USERNAME_AND_ADDRESS.burst(); i++) {
                assertProblem(attacker.post("/auth/login", null, json(Map.of("username", "vera", "password", "guess-" + i))),
                        401, "Wrong username or password");
            }
            // The attacker's own address is throttled for this name, even with the right password.
            Http.Resp throttled = attacker.post("/auth/login", null, json(Map.of("username", "VERA", "password", "guess-x")));
            assertProblem(throttled, 429, "from this address");
            assertThat(Long.parseLong(throttled.header("Retry-After"))).isBetween(1L, 30L);
            assertProblem(attacker.post("/auth/login", null, json(Map.of("username", "vera", "password",
                    "vera-passphrase-1"))), 429, "Too many");
            // The username-wide bucket (3) is empty now: another address's attempts are slowed, not refused.
            long t0 = System.nanoTime();
            assertProblem(attacker2.post("/auth/login", null, json(Map.of("username", "vera", "password", "guess-y"))),
                    401, "Wrong username or password");
            assertThat((System.nanoTime() - t0) / 1_000_000).as("delayed attempt, ms")
                    .isGreaterThanOrEqualTo(LoginThrottle.USERNAME_DELAY.toMillis());
            // The victim, from her own address, gets in at once or after the short bounded delay: never 429.
            long t1 = System.nanoTime();
            Http.Resp in = victim.post("/auth/login", null, json(Map.of("username", "vera", "password", "vera-passphrase-1")));
            assertThat(in.status()).as(in.raw()).isEqualTo(200);
            assertThat((System.nanoTime() - t1) / 1_000_000).as("victim's login, ms").isLessThan(10_000);
            assertThat(throttle.refused()).isGreaterThanOrEqualTo(2);
            assertThat(throttle.delayed()).isGreaterThanOrEqualTo(2);
        } finally {
            guarded.close();
        }
    }

    // ---- passwords ------------------------------------------------------------------------------

    @Test
    void passwordsLongerThanBcryptTakesAre400AtRegistrationAnd401AtLoginNever500() {
        String longAscii = "a1-".repeat(25); // 75 bytes
        String longUtf8 = "ü".repeat(40); // 40 characters, 80 bytes
        for (String pw : new String[] {longAscii, longUtf8, "x".repeat(200)}) {
            assertProblem(http.post("/auth/register", null, json(Map.of("username", "longpw", "password", pw))),
                    400, "password");
            assertProblem(http.post("/auth/login", null, json(Map.of("username", "victor", "password", pw))),
                    401, "Wrong username or password");
        }
        assertProblem(http.post("/auth/login", null, json(Map.of("username", "victor", "password", "x".repeat(201)))),
                400, "password");
    }

    @Test
    void weakPasswordsAreRefused() {
        Map<String, String> weak = Map.of("12345678", "at least 10", "1234567890", "too common",
                "weakling-1", "not be the username", "1-gnilkaew", "not be the username",
                "aaaaaaaaaaaa", "too common", "Password123", "too common");
        weak.forEach((pw, why) -> assertProblem(http.post("/auth/register", null,
                json(Map.of("username", "weakling-1", "password", pw))), 400, why));
        assertThat(pg.queryLong("select count(*) from auction.app_user where username = 'weakling-1'")).isZero();
    }

    // ---- usernames --------------------------------------------------------------------------------

    @Test
    void usernamesAreUniqueRegardlessOfCase() {
        registerAndLogin("Carla", "carla-passphrase-1");
        assertProblem(http.post("/auth/register", null, json(Map.of("username", "CARLA", "password", "other-passphrase-2"))),
                409, "taken");
        assertProblem(http.post("/auth/register", null, json(Map.of("username", "carla", "password", "other-passphrase-2"))),
                409, "taken");
        assertThat(login(http, "cArLa", "carla-passphrase-1")).isNotBlank();
        assertThat(pg.queryLong("select count(*) from auction.app_user where lower(username) = 'carla'")).isEqualTo(1);
    }

    @Test
    void theMigrationKeepsTheOldestOfNamesThatDifferOnlyInCaseAndRenamesTheOthers() {
        PostgresDatabase db = pg.newDatabase("casemigration");
        String url = db.jdbcUrl();
        Flyway.configure().dataSource(url, "postgres", "").schemas("auction").locations(AuctionApp.MIGRATIONS)
                .target("2").load().migrate();
        db.exec("insert into auction.app_user (username, password_hash) values ('bob', 'h1'), ('BOB', 'h2'),"
                + " ('Bob', 'h3'), ('alice', 'h4')");
        long bobUpper = db.queryLong("select id from auction.app_user where username = 'BOB'");
        Flyway.configure().dataSource(url, "postgres", "").schemas("auction").locations(AuctionApp.MIGRATIONS)
                .load().migrate();
        assertThat(db.queryLong("select count(*) from auction.app_user where username = 'bob'")).isEqualTo(1);
        assertThat(db.queryLong("select count(*) from auction.app_user where username = 'BOB~" + bobUpper + "'"))
                .isEqualTo(1);
        assertThat(db.queryLong("select count(*) from auction.app_user where username = 'alice'")).isEqualTo(1);
        assertThatThrownBy(() -> db.exec("insert into auction.app_user (username, password_hash) values ('ALICE', 'x')"))
                .hasStackTraceContaining("app_user_username_lower");
    }

    // ---- input --------------------------------------------------------------------------------

    @Test
    void timestampsOutsideTheSupportedRangeAre400() {
        for (String at : new String[] {"+300000-01-01T00:00:00Z", "+10000-01-01T00:00:00Z", "-001000-01-01T00:00:00Z",
                "+1000000000-12-31T23:59:59.999999999Z"}) {
            assertProblem(http.post("/listings", mallory, json(Map.of("title", "Far", "startingPrice", 100,
                    "minIncrement", 10, "endsAt", at))), 400, "endsAt");
        }
    }

    @Test
    void jsonIsStrictDuplicateKeysTrailingContentAndLoneSurrogatesAre400() {
        String ok = "{\"title\":\"Lamp\",\"startingPrice\":100,\"minIncrement\":10,\"endsAt\":\""
                + Instant.now().plus(Duration.ofDays(1)) + "\"}";
        assertThat(http.post("/listings", mallory, ok).status()).isEqualTo(201);
        assertProblem(http.post("/listings", mallory, ok.replace("{\"title\":\"Lamp\",",
                "{\"title\":\"Lamp\",\"title\":\"Other\",")), 400, "not valid JSON");
        assertProblem(http.post("/auth/login", null, "{\"username\":\"victor\",\"username\":\"mallory\",\"password\":\"x\"}"),
                400, "not valid JSON");
        assertProblem(http.post("/listings", mallory, ok + " {}"), 400, "not valid JSON");
        assertProblem(http.post("/listings", mallory, ok + "x"), 400, "not valid JSON");
        assertProblem(http.post("/listings", mallory, ok.replace("Lamp", "La\\ud800mp")), 400, "surrogate");
        assertProblem(http.post("/listings", mallory, ok.replace("Lamp", "Lamp\\udc00")), 400, "surrogate");
        // In a field name Jackson itself refuses it.
        assertProblem(http.post("/listings", mallory, ok.replace("{\"title\"", "{\"x\\ud800\":1,\"title\"")), 400,
                null);
        // A proper pair is text, and is stored as it is.
        Http.Resp emoji = http.post("/listings", mallory, ok.replace("Lamp", "Lamp \\ud83d\\udca1"));
        assertThat(emoji.status()).as(emoji.raw()).isEqualTo(201);
        assertThat(emoji.get("title").asText()).isEqualTo("Lamp \uD83D\uDCA1");
    }

    @Test
    void aBodyWithThousandsOfUnknownFieldsGetsABoundedAnswer() {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < 1400; i++) {
            b.append(i == 0 ? "" : ",").append("\"f").append(i).append("\":1");
        }
        String body = b.append("}").toString();
        assertThat((long) body.length()).isLessThan(AppOptions.from(Map.of()).maxBodyBytes());
        Http.Resp r = http.post("/auth/register", null, body);
        JsonNode problem = assertProblem(r, 400, "1402 fields are invalid; the first 20 are listed");
        assertThat(problem.get("errors")).hasSize(ApiException.MAX_LISTED_ERRORS);
        assertThat(r.raw().length()).isLessThan(5_000);
    }

    // ---- authentication -----------------------------------------------------------------------

    @Test
    void headAnswersAsGetWouldAuthenticationIncluded() {
        Http.Resp created = http.post("/listings", victor, json(Map.of("title", "Secret draft", "startingPrice", 100,
                "minIncrement", 10, "endsAt", Instant.now().plus(Duration.ofDays(1)).toString())));
        long pending = created.get("id").asLong();
        assertThat(head("/me", null)).isEqualTo(401);
        assertThat(head("/watchlist", null)).isEqualTo(401);
        assertThat(head("/listings/" + pending, null)).isEqualTo(404);
        assertThat(head("/listings/" + pending, mallory)).isEqualTo(404);
        assertThat(head("/listings?status=pending", null)).isEqualTo(401);
        assertThat(head("/listings/" + pending, victor)).isEqualTo(200);
        assertThat(head("/me", mallory)).isEqualTo(200);
        assertThat(head("/listings", null)).isEqualTo(200);
        assertThat(head("/no-such-thing", null)).isEqualTo(404);
        Http.Resp h = http.send(http.builder("/me", mallory).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(h.raw()).isEmpty();
    }

    private static int head(String path, String token) {
        return http.send(http.builder(path, token).method("HEAD", HttpRequest.BodyPublishers.noBody())).status();
    }

    @Test
    void aTokenWithoutExpiryIsRefused() {
        String noExp = JWT.create().withIssuer(Auth.ISSUER).withSubject(Long.toString(malloryId))
                .withClaim("name", "mallory").withClaim("role", "user").withIssuedAt(new Date())
                .sign(Algorithm.HMAC256(SECRET));
        assertProblem(http.get("/me", noExp), 401, "not valid");
    }

    @Test
    void roleAndNameComeFromTheDatabaseOnEveryRequest() {
        String forged = JWT.create().withIssuer(Auth.ISSUER).withSubject(Long.toString(malloryId))
                .withClaim("name", "root").withClaim("role", "admin")
                .withExpiresAt(Date.from(Instant.now().plusSeconds(600))).sign(Algorithm.HMAC256(SECRET));
        Http.Resp me = http.get("/me", forged);
        assertThat(me.get("role").asText()).isEqualTo("user");
        assertThat(me.get("username").asText()).isEqualTo("mallory");
        assertProblem(http.post("/admin/listings/1/approval", forged, "{\"approved\":true}"), 403, "admin");

        String dora = registerAndLogin("dora", "dora-passphrase-1");
        Http.Resp l = http.post("/listings", victor, json(Map.of("title", "Review me", "startingPrice", 100,
                "minIncrement", 10, "endsAt", Instant.now().plus(Duration.ofDays(1)).toString())));
        long id = l.get("id").asLong();
        assertProblem(http.post("/admin/listings/" + id + "/approval", dora, "{\"approved\":true}"), 403, "admin");
        pg.exec("update auction.app_user set role = 'admin' where username = 'dora'");
        assertThat(http.post("/admin/listings/" + id + "/approval", dora, "{\"approved\":true}").status()).isEqualTo(200);
        pg.exec("update auction.app_user set role = 'user' where username = 'dora'");
        assertProblem(http.post("/admin/listings/" + id + "/approval", dora, "{\"approved\":false,\"reason\":\"no\"}"),
                403, "admin");
        pg.exec("delete from auction.app_user where username = 'dora'");
        assertProblem(http.get("/me", dora), 401, "no longer exists");
    }

    // ---- responses ----------------------------------------------------------------------------

    @Test
    void serverLevelErrorsAreProblemBodies() throws IOException {
        Http.Resp longUri = http.get("/listings?q=" + "a".repeat(20_000), null);
        assertServerProblem(longUri.status(), longUri.header("Content-Type"), longUri.raw(), 414);
        assertSecurityHeaders(longUri);

        String big = "x".repeat(20_000);
        String tooLarge = raw("GET /listings HTTP/1.1\r\nHost: localhost\r\nX-Big: " + big + "\r\nConnection: close\r\n\r\n");
        assertServerProblem(tooLarge, 431);

        String badChunk = raw("POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n");
        assertServerProblem(badChunk, 400);

        String badHeader = raw("GET /listings HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\nConnection: close\r\n\r\n");
        assertServerProblem(badHeader, 400);

        String bothLengths = raw("POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
                + "Content-Length: 5\r\nConnection: close\r\n\r\n{}");
        assertServerProblem(bothLengths, 400);
    }

    private static void assertServerProblem(String response, int status) {
        String head = response.substring(0, Math.max(0, response.indexOf("\r\n\r\n")));
        String body = response.substring(response.indexOf("\r\n\r\n") + 4);
        String type = head.lines().filter(l -> l.regionMatches(true, 0, "Content-Type:", 0, 13)).findFirst()
                .map(l -> l.substring(13).trim()).orElse(null);
        int got = Integer.parseInt(head.split(" ")[1]);
        assertServerProblem(got, type, body, status);
        assertThat(head).containsIgnoringCase("X-Content-Type-Options: nosniff");
    }

    private static void assertServerProblem(int got, String type, String body, int status) {
        assertThat(got).as(body).isEqualTo(status);
        assertThat(type).as(body).startsWith("application/problem+json");
        assertThat(body).contains("\"status\":" + status).doesNotContainIgnoringCase("jetty")
                .doesNotContainIgnoringCase("<html").doesNotContain("Exception");
    }

    /** Sends bytes no HTTP client would send, and reads the whole answer (the request says Connection: close). */
    private static String raw(String request) throws IOException {
        return raw(request, app.port());
    }

    private static String raw(String request, int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) >= 0 && got.size() < 100_000; ) {
                got.write(buf, 0, n);
            }
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void everyResponseCarriesTheSecurityHeadersAndAuthResponsesAreNotStored() {
        Map<String, Http.Resp> responses = new HashMap<>();
        responses.put("200 listings", http.get("/listings", null));
        responses.put("200 login", http.post("/auth/login", null, json(Map.of("username", "victor",
                "password", "victor-passphrase-1"))));
        responses.put("401 me", http.get("/me", null));
        responses.put("404", http.get("/nope", null));
        responses.put("400", http.post("/auth/register", null, "{"));
        responses.put("openapi", http.get("/openapi.json", null));
        responses.put("management health", management.get("/health", null));
        responses.put("management info", management.get("/info", null));
        responses.forEach((what, r) -> {
            assertThat(r.header("X-Content-Type-Options")).as(what).isEqualTo("nosniff");
            assertThat(r.header("Cache-Control")).as(what).isEqualTo("no-store");
            assertThat(r.header("X-Frame-Options")).as(what).isEqualTo("DENY");
            assertThat(r.header("Referrer-Policy")).as(what).isEqualTo("no-referrer");
        });
        responses.forEach((what, r) -> assertThat(r.header("Content-Security-Policy")).as(what)
                .contains("frame-ancestors 'none'"));
        assertThat(responses.get("200 login").get("token").asText()).isNotBlank();
        Http.Resp dashboard = management.get("/dashboard", null);
        assertThat(dashboard.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(dashboard.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(dashboard.header("Content-Security-Policy")).contains("frame-ancestors 'none'");
    }

    private static void assertSecurityHeaders(Http.Resp r) {
        assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(r.header("Content-Security-Policy")).contains("frame-ancestors 'none'");
    }

    // ---- issue 23: the remaining findings ---------------------------------------------------------

    @Test
    void numbersInPathsAndQueriesAreAsciiDigitsOnly() {
        Http.Resp created = http.post("/listings", victor, json(Map.of("title", "Digits", "startingPrice", 100,
                "minIncrement", 10, "endsAt", Instant.now().plus(Duration.ofDays(1)).toString())));
        long id = created.get("id").asLong();
        assertThat(http.get("/listings/" + id, victor).status()).isEqualTo(200);
        // U+FF11 (fullwidth 1) and U+0661 (Arabic-Indic 1), which Long.parseLong takes as 1; a sign; a long run.
        for (String digits : new String[] {"%EF%BC%91", "%D9%A1", "+1", "1%EF%BC%91", "0".repeat(19) + "1"}) {
            assertProblem(http.get("/listings/" + digits, victor), 400, "ASCII digits");
            assertProblem(http.post("/listings/" + digits + "/bids", mallory, "{\"amount\":500}"), 400, "ASCII digits");
            assertProblem(http.get("/listings/" + digits + "/bids", null), 400, "id");
            assertProblem(http.put("/watchlist/" + digits, mallory), 400, "id");
            assertProblem(http.get("/listings?page=" + digits, null), 400, "page");
            assertProblem(http.get("/listings?minPrice=" + digits, null), 400, "minPrice");
        }
        assertThat(pg.queryLong("select count(*) from auction.bid where listing_id = " + id)).isZero();
    }

    @Test
    void malformedRequestLinesAre400NotA5xx() throws IOException {
        for (String request : new String[] {
                "GET /listings HTTP/9.9\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                "GET /listings HTTP/1.7\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                "GET /listings\r\n\r\n", // HTTP/0.9
                "GET /listings FOO/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"}) {
            String response = raw(request);
            assertServerProblem(response, 400);
            assertAllSecurityHeaders(response);
        }
    }

    @Test
    void jettysOwnAnswersCarryTheSecurityHeaders() throws IOException {
        Map<String, Integer> requests = Map.of(
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 426, // an HTTP/2 preface on the HTTP/1.1 port
                "OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 404,
                "GET /no/such/path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 404,
                "GET /listings HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\nConnection: close\r\n\r\n", 400,
                "GET /%2e%2e/listings HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 400);
        for (var r : requests.entrySet()) {
            String response = raw(r.getKey());
            assertThat(response).as(r.getKey()).startsWith("HTTP/1.1 " + r.getValue() + " ");
            assertAllSecurityHeaders(response);
        }
        for (var r : requests.entrySet()) { // the management port is hardened the same way
            String response = raw(r.getKey(), app.managementPort());
            assertThat(response).as(r.getKey()).matches("(?s)HTTP/1\\.1 4\\d\\d .*");
            assertAllSecurityHeaders(response);
        }
    }

    private static void assertAllSecurityHeaders(String response) {
        String head = response.substring(0, Math.max(0, response.indexOf("\r\n\r\n")));
        HttpHardening.HEADERS.forEach((name, value) -> assertThat(head).as(response)
                .containsIgnoringCase(name + ": " + value));
    }

    @Test
    void textFieldsRefuseControlBidiAndSeparatorCharacters() {
        String endsAt = Instant.now().plus(Duration.ofDays(1)).toString();
        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put("Lamp \u202Eelbat", "bidirectional"); // RIGHT-TO-LEFT OVERRIDE
        refused.put("Lamp \u202A", "bidirectional");
        refused.put("Lamp \u2066x\u2069", "bidirectional"); // isolates
        refused.put("Lamp\u2028Price: 1", "separator");
        refused.put("Lamp\u2029", "separator");
        refused.put("Lamp\u0007", "control");
        refused.put("Lamp\u0085", "control"); // NEXT LINE
        refused.forEach((title, why) -> {
            JsonNode p = assertProblem(http.post("/listings", mallory, json(Map.of("title", title, "startingPrice", 100,
                    "minIncrement", 10, "endsAt", endsAt))), 400, why);
            assertThat(p.get("errors").get(0).get("field").asText()).isEqualTo("title");
            assertProblem(http.post("/listings", mallory, json(Map.of("title", "Lamp", "description", title,
                    "startingPrice", 100, "minIncrement", 10, "endsAt", endsAt))), 400, "description");
        });
        assertProblem(http.get("/listings?q=%E2%80%AE", null), 400, "bidirectional");
        assertProblem(http.post("/auth/register", null, json(Map.of("username", "eve\u202E", "password",
                "eve-passphrase-1"))), 400, "username");
        // Newlines and tabs stay allowed where text is multi-line, and other scripts are text.
        Http.Resp ok = http.post("/listings", mallory, json(Map.of("title", "Lampe \u0644\u0627\u0645\u0628\u0629",
                "description", "Line one\nLine two\twith a tab", "startingPrice", 100, "minIncrement", 10, "endsAt", endsAt)));
        assertThat(ok.status()).as(ok.raw()).isEqualTo(201);
    }

    @Test
    void onlyTheCanonicalEncodingOfATokensSignatureIsAccepted() {
        assertThat(http.get("/me", mallory).status()).isEqualTo(200);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        String signature = mallory.substring(mallory.lastIndexOf('.') + 1);
        assertThat(signature).hasSize(43); // 32 bytes: the last character carries 4 bits and 2 unused ones
        char last = signature.charAt(42);
        String head = mallory.substring(0, mallory.length() - 1);
        for (int unused = 1; unused < 4; unused++) { // the same signature bytes, spelled differently
            String variant = head + alphabet.charAt(alphabet.indexOf(last) ^ unused);
            assertThat(java.util.Base64.getUrlDecoder().decode(variant.substring(variant.lastIndexOf('.') + 1)))
                    .isEqualTo(java.util.Base64.getUrlDecoder().decode(signature));
            assertProblem(http.get("/me", variant), 401, "not valid");
        }
        assertProblem(http.get("/me", mallory + "="), 401, "not valid");
        assertProblem(http.get("/me", mallory + "=="), 401, "not valid");
        String[] parts = mallory.split("\\.");
        assertProblem(http.get("/me", parts[0] + "=." + parts[1] + "." + parts[2]), 401, "not valid");
        assertThat(Auth.canonical(mallory)).isTrue();
        assertThat(http.get("/me", mallory).status()).isEqualTo(200);
    }

    @Test
    void bodiesMustBeDeclaredJsonAndAByteOrderMarkIsRefused() {
        String login = json(Map.of("username", "victor", "password", "victor-passphrase-1"));
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                "application/json; charset=iso-8859-1", "text/json", "multipart/form-data; boundary=x"}) {
            Http.Resp r = http.send(http.builder("/auth/login", null).setHeader("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString(login)));
            assertProblem(r, 415, "Content-Type: application/json");
        }
        Http.Resp none = http.send(HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + app.port()
                + "/auth/login")).POST(HttpRequest.BodyPublishers.ofString(login)));
        assertProblem(none, 415, "no Content-Type");
        assertProblem(http.post("/listings", mallory, "title=x"), 400, null); // declared JSON, is not: 400
        for (String type : new String[] {"application/json", "application/json; charset=utf-8",
                "Application/JSON;charset=\"UTF-8\""}) {
            Http.Resp r = http.send(http.builder("/auth/login", null).setHeader("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString(login)));
            assertThat(r.status()).as(type + ": " + r.raw()).isEqualTo(200);
        }
        // A UTF-8 byte order mark is refused, deliberately (RFC 8259 8.1: senders must not add one).
        byte[] body = login.getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[body.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(body, 0, withBom, 3, body.length);
        assertProblem(http.send(http.builder("/auth/login", null).POST(HttpRequest.BodyPublishers.ofByteArray(withBom))),
                400, "byte order mark");
    }

    @Test
    @Timeout(180)
    void anOutageIsTwoLogLinesAndACounterNotAWarningPer503() throws Exception {
        ThrowawayDatabase db = ThrowawayDatabase.start("auction-outage-log", Map.of("fsync", "off"));
        // The database stays stopped until after the 503s: a short ride-through ends the first
        // request's wait sooner than the default 15 s (WARDEN_RIDE_THROUGH).
        Warden w = AuctionApp.warden(AuctionApp.wardenConfig(AuctionApiTest.configBuilder(db.jdbcUrl())
                .rideThrough(Duration.ofSeconds(1))));
        AuctionApp service = AuctionApp.create(w, options("outage-log")).start();
        java.io.PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            assertThat(service.awaitReady(60_000)).as("ready; failure: %s", service.startFailure()).isTrue();
            Http api = new Http("http://127.0.0.1:" + service.port());
            Http ops = new Http("http://127.0.0.1:" + service.managementPort());
            assertThat(api.get("/listings", null).status()).isEqualTo(200);
            System.setErr(new java.io.PrintStream(new OutputStream() { // the service's log, still shown
                @Override
                public synchronized void write(int b) {
                    err.write(b);
                    captured.write(b);
                }

                @Override
                public synchronized void write(byte[] b, int off, int len) {
                    err.write(b, off, len);
                    captured.write(b, off, len);
                }
            }, true));
            db.stop();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    w.state() == dev.warden.State.DEGRADED);
            int requests = 60;
            for (int i = 0; i < requests; i++) {
                assertThat(api.get(i % 2 == 0 ? "/listings" : "/listings/1", null).status()).isEqualTo(503);
            }
            assertThat(service.outages().count(OutageLog.Reason.DATABASE_UNAVAILABLE)).isGreaterThanOrEqualTo(requests);
            String metrics = ops.get("/metrics", null).raw();
            assertThat(metrics).containsPattern("auction_unavailable_responses_total\\{[^}]*reason=\"database_unavailable\"[^}]*\\} "
                    + "(\\d+)");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                    "auction_unavailable_responses_total\\{[^}]*reason=\"database_unavailable\"[^}]*\\} ([0-9.E]+)").matcher(metrics);
            assertThat(m.find()).isTrue();
            assertThat(Double.parseDouble(m.group(1))).isGreaterThanOrEqualTo(requests);

            db.restart();
            assertThat(service.awaitReady(60_000)).isTrue();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    api.get("/listings", null).status() == 200);
            System.setErr(err);
            List<String> lines = captured.toString(StandardCharsets.UTF_8).lines()
                    .filter(l -> l.contains("dev.warden.example")).toList();
            System.out.println("Service log lines during the outage:\n" + String.join("\n", lines));
            assertThat(lines.stream().filter(l -> l.contains("503"))).as("lines about 503 answers").hasSizeBetween(1, 3);
            assertThat(lines.stream().filter(l -> l.contains("/listings"))).as("lines naming a request").hasSizeLessThanOrEqualTo(1);
            assertThat(lines.stream().filter(l -> l.contains(" WARN ") && (l.contains("auction.OutageLog")
                    || l.contains("auction.Problems")))).as("warnings about requests").hasSizeLessThanOrEqualTo(1);
            assertThat(lines.stream().filter(l -> l.contains(" ERROR "))).as("errors").isEmpty();
            assertThat(lines).anyMatch(l -> l.contains("API answering 503") && l.contains("database_unavailable"));
            assertThat(lines).anyMatch(l -> l.contains("API serving again"));
        } finally {
            System.setErr(err);
            service.close();
            w.close();
            db.close();
        }
    }
}
