package dev.warden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.warden.tx.Isolation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WardenConfigTest {

    private static WardenConfig.Builder env(Map<String, String> vars) {
        return WardenConfig.builder().environment(vars);
    }

    @Test
    void defaultsServeAnOrdinaryServiceWithoutTuning() {
        WardenConfig c = env(Map.of()).build();
        assertThat(c.embedded()).isTrue();
        assertThat(c.database().user()).isEqualTo("postgres");
        assertThat(c.pool().maxSize()).isEqualTo(10);
        assertThat(c.pool().acquireTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.database().socketTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.tx().statementTimeout()).isZero();
        assertThat(c.tx().retry().maxAttempts()).isEqualTo(5);
        assertThat(c.tx().isolation()).isEqualTo(Isolation.DEFAULT);
        assertThat(c.schemas().application()).containsExactly("public");
        assertThat(c.schemas().warden()).isEqualTo("warden");
        assertThat(c.database().embedded().dir()).isEqualTo(Path.of(".warden/pgdata"));
    }

    @Test
    void readsEveryOptionFromTheEnvironment() {
        WardenConfig c = env(Map.ofEntries(
                Map.entry("WARDEN_DB_URL", "jdbc:postgresql://db.internal:5432/app"),
                Map.entry("WARDEN_DB_USER", "app"),
                Map.entry("WARDEN_DB_PASSWORD", "s3cret-Pa55"),
                Map.entry("WARDEN_POOL_MAX_SIZE", "25"),
                Map.entry("WARDEN_POOL_ACQUIRE_TIMEOUT", "750ms"),
                Map.entry("WARDEN_DB_CONNECT_TIMEOUT", "3s"),
                Map.entry("WARDEN_DB_SOCKET_TIMEOUT", "PT45S"),
                Map.entry("WARDEN_STATEMENT_TIMEOUT", "30s"),
                Map.entry("WARDEN_STARTUP_TIMEOUT", "2m"),
                Map.entry("WARDEN_RETRY_MAX_ATTEMPTS", "8"),
                Map.entry("WARDEN_RETRY_INITIAL_BACKOFF", "5ms"),
                Map.entry("WARDEN_RETRY_MAX_BACKOFF", "2s"),
                Map.entry("WARDEN_RETRY_MULTIPLIER", "1.5"),
                Map.entry("WARDEN_TX_ISOLATION", "repeatable read"),
                Map.entry("WARDEN_SCHEMAS", "app, audit"),
                Map.entry("WARDEN_SCHEMA", "warden_meta"),
                Map.entry("WARDEN_APP_NAME", "orders"),
                Map.entry("WARDEN_EMBEDDED_DIR", "/var/lib/warden"),
                Map.entry("WARDEN_EMBEDDED_PORT", "15432"))).build();
        assertThat(c.database().url()).contains("jdbc:postgresql://db.internal:5432/app");
        assertThat(c.embedded()).isFalse();
        assertThat(c.database().user()).isEqualTo("app");
        assertThat(c.database().password().reveal()).isEqualTo("s3cret-Pa55");
        assertThat(c.pool().maxSize()).isEqualTo(25);
        assertThat(c.pool().acquireTimeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(c.database().connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.database().socketTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.tx().statementTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.service().startupTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.tx().retry()).isEqualTo(new dev.warden.tx.RetryPolicy(8, Duration.ofMillis(5), Duration.ofSeconds(2), 1.5));
        assertThat(c.tx().isolation()).isEqualTo(Isolation.REPEATABLE_READ);
        assertThat(c.schemas().application()).containsExactly("app", "audit");
        assertThat(c.schemas().warden()).isEqualTo("warden_meta");
        assertThat(c.service().applicationName()).isEqualTo("orders");
        assertThat(c.database().embedded().dir()).isEqualTo(Path.of("/var/lib/warden"));
        assertThat(c.database().embedded().port()).isEqualTo(15432);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "WARDEN_POOL_MAX_SIZE|abc|WARDEN_POOL_MAX_SIZE must be an integer from 1 to 1000, got \"abc\"",
            "WARDEN_POOL_MAX_SIZE|0|WARDEN_POOL_MAX_SIZE must be an integer from 1 to 1000, got \"0\"",
            "WARDEN_POOL_MAX_SIZE|1001|WARDEN_POOL_MAX_SIZE must be an integer from 1 to 1000, got \"1001\"",
            "WARDEN_DB_URL|postgres://localhost/app|WARDEN_DB_URL must be a JDBC URL starting with jdbc:postgresql://, got \"postgres://localhost/app\" (this is a libpq URL: write jdbc:postgresql://host:port/database and give the user and password in WARDEN_DB_USER and WARDEN_DB_PASSWORD)",
            "WARDEN_DB_URL|jdbc:postgresql://app:pw@db/app|WARDEN_DB_URL must not hold user:password@ (pgjdbc does not read it), got \"jdbc:postgresql://app:****@db/app\": give them as ?user=…&password=… or in WARDEN_DB_USER and WARDEN_DB_PASSWORD",
            "WARDEN_DRAIN_TIMEOUT|forever|WARDEN_DRAIN_TIMEOUT must be a duration like 250ms, 5s or 2m, from 0ms to 10m, got \"forever\"",
            "WARDEN_DRAIN_TIMEOUT|11m|WARDEN_DRAIN_TIMEOUT must be a duration like 250ms, 5s or 2m, from 0ms to 10m, got \"11m\"",
            "WARDEN_DB_USER|' '|WARDEN_DB_USER must be a user name of 1 to 63 characters, got \" \"",
            "WARDEN_POOL_ACQUIRE_TIMEOUT|5 seconds|WARDEN_POOL_ACQUIRE_TIMEOUT must be a duration like 250ms, 5s or 2m, from 250ms to 10m, got \"5 seconds\"",
            "WARDEN_POOL_ACQUIRE_TIMEOUT|100ms|WARDEN_POOL_ACQUIRE_TIMEOUT must be a duration like 250ms, 5s or 2m, from 250ms to 10m, got \"100ms\"",
            "WARDEN_DB_CONNECT_TIMEOUT|1500ms|WARDEN_DB_CONNECT_TIMEOUT must be a duration like 250ms, 5s or 2m in whole seconds, from 1s to 1h, got \"1500ms\"",
            "WARDEN_DB_SOCKET_TIMEOUT|0s|WARDEN_DB_SOCKET_TIMEOUT must be a duration like 250ms, 5s or 2m in whole seconds, from 1s to 1h, got \"0s\"",
            "WARDEN_STATEMENT_TIMEOUT|-1s|WARDEN_STATEMENT_TIMEOUT must be a duration like 250ms, 5s or 2m, from 0ms to 1h, got \"-1s\"",
            "WARDEN_STARTUP_TIMEOUT|forever|WARDEN_STARTUP_TIMEOUT must be a duration like 250ms, 5s or 2m, from 1s to 1h, got \"forever\"",
            "WARDEN_RETRY_MAX_ATTEMPTS|0|WARDEN_RETRY_MAX_ATTEMPTS must be an integer from 1 to 100, got \"0\"",
            "WARDEN_RETRY_INITIAL_BACKOFF|fast|WARDEN_RETRY_INITIAL_BACKOFF must be a duration like 250ms, 5s or 2m, from 0ms to 1m, got \"fast\"",
            "WARDEN_RETRY_MULTIPLIER|0.5|WARDEN_RETRY_MULTIPLIER must be a number from 1.0 to 10.0, got \"0.5\"",
            "WARDEN_TX_ISOLATION|SNAPSHOT|WARDEN_TX_ISOLATION must be one of [DEFAULT, READ_COMMITTED, REPEATABLE_READ, SERIALIZABLE], got \"SNAPSHOT\"",
            "WARDEN_SCHEMAS|public;drop table x|WARDEN_SCHEMAS must be a comma-separated list of lower-case SQL identifiers (letters, digits, _; at most 63 characters each), got \"public;drop table x\"",
            "WARDEN_SCHEMA|Warden|WARDEN_SCHEMA must be a lower-case SQL identifier (letters, digits, _; at most 63 characters), got \"Warden\"",
            "WARDEN_SCHEMA|public|WARDEN_SCHEMA must not be one of the application schemas in WARDEN_SCHEMAS (a wipe would delete Warden's own records), got \"public\"",
            "WARDEN_APP_NAME|''|WARDEN_APP_NAME must be printable ASCII text of 1 to 63 characters, got \"\"",
            "WARDEN_EMBEDDED_DIR|''|WARDEN_EMBEDDED_DIR must be a directory path, got \"\"",
            "WARDEN_STATEMENT_TIMEOUT|2h|WARDEN_STATEMENT_TIMEOUT must be a duration like 250ms, 5s or 2m, from 0ms to 1h, got \"2h\"",
            "WARDEN_INIT_LEASE_TTL|100ms|WARDEN_INIT_LEASE_TTL must be a duration like 250ms, 5s or 2m, from 500ms to 10m, got \"100ms\"",
            "WARDEN_INIT_HEARTBEAT|1h|WARDEN_INIT_HEARTBEAT must be a duration like 250ms, 5s or 2m, from 100ms to 5m, got \"1h\"",
            "WARDEN_EMBEDDED_PORT|70000|WARDEN_EMBEDDED_PORT must be an integer from 0 to 65535, got \"70000\"",
            "WARDEN_MONITOR_INTERVAL|50ms|WARDEN_MONITOR_INTERVAL must be 0 (no health monitor) or a duration like 250ms, 5s or 2m, from 100ms to 1m, got \"50ms\"",
            "WARDEN_INIT_WIPE|maybe|WARDEN_INIT_WIPE must be true or false, got \"maybe\"",
            "WARDEN_INIT_LOCK|mutex|WARDEN_INIT_LOCK must be advisory (a PostgreSQL session advisory lock) or lease (a lease row with heartbeat and expiry), got \"mutex\"",
            "WARDEN_INIT_EPOCH|release 1|WARDEN_INIT_EPOCH must be empty (derive the epoch from migrations, seed version and wipe flag) or 1 to 100 characters of letters, digits and . _ : / + -, got \"release 1\"",
            "WARDEN_INIT_ATTEMPTS|0|WARDEN_INIT_ATTEMPTS must be an integer from 1 to 100, got \"0\"",
            "WARDEN_INIT_TIMEOUT|0s|WARDEN_INIT_TIMEOUT must be a duration like 250ms, 5s or 2m, from 1s to 24h, got \"0s\"",
            "WARDEN_INIT_IDLE_TIMEOUT|500ms|WARDEN_INIT_IDLE_TIMEOUT must be a duration like 250ms, 5s or 2m, from 2s to 1h, got \"500ms\"",
            "WARDEN_MIGRATIONS|classpath:db migration|WARDEN_MIGRATIONS must be a comma-separated list of Flyway locations such as classpath:db/migration or filesystem:/sql, got \"classpath:db migration\"",
    })
    void eachBadValueIsReportedWithVariableValueAndRule(String variable, String value, String message) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> env(Map.of(variable, value)).build());
        assertThat(e).as("no exception for %s=%s", variable, value).isNotNull();
        assertThat(e.problems()).containsExactly(message);
        assertThat(e.getMessage()).isEqualTo("Invalid Warden configuration: " + message);
    }

    @Test
    void crossChecksNameBothVariables() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> env(Map.of(
                "WARDEN_RETRY_INITIAL_BACKOFF", "2s", "WARDEN_RETRY_MAX_BACKOFF", "1s")).build());
        assertThat(e.problems()).containsExactly(
                "WARDEN_RETRY_MAX_BACKOFF must be at least WARDEN_RETRY_INITIAL_BACKOFF (2s), got \"1s\"");
        e = catchThrowableOfType(ConfigException.class, () -> env(Map.of(
                "WARDEN_STATEMENT_TIMEOUT", "2m", "WARDEN_DB_SOCKET_TIMEOUT", "60s")).build());
        assertThat(e.problems()).singleElement().asString()
                .startsWith("WARDEN_STATEMENT_TIMEOUT must be shorter than WARDEN_DB_SOCKET_TIMEOUT (1m)");
    }

    @Test
    void theLeaseHeartbeatMustFitTwiceIntoItsTtl() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> env(Map.of(
                "WARDEN_INIT_LEASE_TTL", "3s", "WARDEN_INIT_HEARTBEAT", "2s")).build());
        assertThat(e.problems()).containsExactly("WARDEN_INIT_HEARTBEAT must be at most half of WARDEN_INIT_LEASE_TTL (3s)"
                + " so that one late heartbeat does not lose the lease, got \"2s\"");
        WardenConfig ok = env(Map.of("WARDEN_INIT_LOCK", "LEASE", "WARDEN_INIT_WIPE", "yes",
                "WARDEN_MIGRATIONS", "classpath:db/a, filesystem:/sql")).build();
        assertThat(ok.init().lock().kind()).isEqualTo(dev.warden.InitSettings.LockKind.LEASE);
        assertThat(ok.init().wipe()).isTrue();
        assertThat(ok.init().migrations()).containsExactly("classpath:db/a", "filesystem:/sql");
        assertThat(ok.init().epoch()).isEmpty();
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> env(Map.of(
                "WARDEN_POOL_MAX_SIZE", "-3", "WARDEN_RETRY_MAX_ATTEMPTS", "many", "WARDEN_EMBEDDED_PORT", "x")).build());
        assertThat(e.problems()).hasSize(3);
        assertThat(e.getMessage()).contains("WARDEN_POOL_MAX_SIZE", "WARDEN_RETRY_MAX_ATTEMPTS", "WARDEN_EMBEDDED_PORT");
    }

    @Test
    void builderValuesAreCheckedByTheSameRules() {
        assertThatThrownBy(() -> env(Map.of()).poolMaxSize(0).build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid Warden configuration: WARDEN_POOL_MAX_SIZE must be an integer from 1 to 1000, got \"0\"");
    }

    @Test
    void verifyPatienceDefaultsToCoverPatronisDefaultFailoverAndIsValidated() {
        // Patroni's defaults: ttl 30 s + loop_wait 10 s, plus a margin.
        assertThat(env(Map.of()).build().tx().verifyPatience()).isGreaterThanOrEqualTo(Duration.ofSeconds(45));
        assertThat(env(Map.of("WARDEN_TX_VERIFY_PATIENCE", "90s")).build().tx().verifyPatience())
                .isEqualTo(Duration.ofSeconds(90));
        assertThat(env(Map.of()).txVerifyPatience(Duration.ofSeconds(20)).build().tx().verifyPatience())
                .isEqualTo(Duration.ofSeconds(20));
        assertThatThrownBy(() -> env(Map.of("WARDEN_TX_VERIFY_PATIENCE", "soon")).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_TX_VERIFY_PATIENCE must be a duration like 250ms, 5s or 2m")
                .hasMessageContaining("got \"soon\"");
        assertThatThrownBy(() -> env(Map.of("WARDEN_TX_VERIFY_PATIENCE", "100ms")).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_TX_VERIFY_PATIENCE");
    }

    @Test
    void verifyCommitAndReadOnlyPoolAreValidatedBooleansAndTheUrlCanImplyAReadOnlyPool() {
        assertThat(env(Map.of()).build().tx().verifyCommit()).isFalse();
        assertThat(env(Map.of("WARDEN_TX_VERIFY_COMMIT", "true")).build().tx().verifyCommit()).isTrue();
        assertThatThrownBy(() -> env(Map.of("WARDEN_TX_VERIFY_COMMIT", "maybe")).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_TX_VERIFY_COMMIT must be true or false, got \"maybe\"");
        assertThat(env(Map.of("WARDEN_POOL_READ_ONLY", "yes")).build().readsOnly()).isTrue();
        assertThat(env(Map.of("WARDEN_DB_URL", "jdbc:postgresql://a,b/db?targetServerType=preferStandby")).build()
                .readsOnly()).isTrue();
        assertThat(env(Map.of("WARDEN_DB_URL", "jdbc:postgresql://a,b/db?targetServerType=primary")).build()
                .readsOnly()).isFalse();
        assertThat(env(Map.of()).build().readsOnly()).isFalse();
    }

    @Test
    void recordConstructorEnforcesTheRulesToo() {
        WardenConfig good = env(Map.of()).build();
        PoolSettings p = good.pool();
        assertThatThrownBy(() -> new WardenConfig(good.database(), new SchemaSettings(List.of("public"), "public"),
                new PoolSettings(5000, p.acquireTimeout(), p.readOnly(), p.refillSpread(), Pooler.TRANSACTION),
                good.tx(), good.monitor(), good.service(), good.init()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_POOL_MAX_SIZE must be an integer from 1 to 1000, got \"5000\"")
                .hasMessageContaining("WARDEN_SCHEMA must not be one of the application schemas")
                // a rule across groups: the pooler (PoolSettings) against the URL (DatabaseSettings)
                .hasMessageContaining("WARDEN_POOLER=transaction needs WARDEN_DB_URL");
    }

    @Test
    void recordConstructorTakesCredentialsOutOfTheUrl() {
        WardenConfig good = env(Map.of()).build();
        DatabaseSettings d = good.database();
        WardenConfig c = new WardenConfig(new DatabaseSettings(Optional.of("jdbc:postgresql://db:5432/app?user=shop&password=s3cret"),
                d.user(), d.password(), d.connectTimeout(), d.socketTimeout(), d.initUrl(), d.embedded()),
                good.schemas(), good.pool(), good.tx(), good.monitor(), good.service(), good.init());
        assertThat(c.database().url()).contains("jdbc:postgresql://db:5432/app");
        assertThat(c.database().user()).isEqualTo("shop");
        assertThat(c.database().password().reveal()).isEqualTo("s3cret");
        assertThat(c.toString()).doesNotContain("s3cret").contains("password=****");
    }

    @Test
    void crossFieldRulesHoldForTheConstructorAndWithInitToo() {
        WardenConfig good = env(Map.of()).build();
        DatabaseSettings d = good.database();
        TxSettings t = good.tx();
        // A statement timeout (a TxSettings) not shorter than the socket timeout (a DatabaseSettings).
        assertThatThrownBy(() -> new WardenConfig(
                new DatabaseSettings(d.url(), d.user(), d.password(), d.connectTimeout(), Duration.ofSeconds(10),
                        d.initUrl(), d.embedded()),
                good.schemas(), good.pool(),
                new TxSettings(t.retry(), t.isolation(), Duration.ofSeconds(10), t.verifyCommit(), t.verifyPatience()),
                good.monitor(), good.service(), good.init()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_STATEMENT_TIMEOUT must be shorter than WARDEN_DB_SOCKET_TIMEOUT (10s)");
        InitSettings i = good.init();
        InitSettings lateHeartbeat = new InitSettings(i.epoch(), i.wipe(),
                new InitSettings.Lock(i.lock().kind(), Duration.ofSeconds(2), Duration.ofSeconds(2)), i.attempts(),
                i.timeout(), i.migrations(), i.idleTimeout());
        assertThatThrownBy(() -> good.withInit(lateHeartbeat)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_INIT_HEARTBEAT must be at most half of WARDEN_INIT_LEASE_TTL (2s)");
    }

    @Test
    void aValueThatDoesNotParseAndAnotherThatBreaksItsRuleAreBothListedAsWritten() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> env(Map.of(
                "WARDEN_POOL_MAX_SIZE", "many", "WARDEN_DB_SOCKET_TIMEOUT", "0s",
                "WARDEN_RETRY_MAX_ATTEMPTS", "0")).build());
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "WARDEN_POOL_MAX_SIZE must be an integer from 1 to 1000, got \"many\"",
                "WARDEN_DB_SOCKET_TIMEOUT must be a duration like 250ms, 5s or 2m in whole seconds, from 1s to 1h,"
                        + " got \"0s\"",
                "WARDEN_RETRY_MAX_ATTEMPTS must be an integer from 1 to 100, got \"0\"");
    }

    @Test
    void precedenceIsBuilderThenSystemPropertyThenEnvironmentThenDefault() {
        String key = "warden.pool.max.size";
        String before = System.getProperty(key);
        try {
            System.setProperty(key, "7");
            // builder() reads the real environment and system properties
            assertThat(WardenConfig.builder().build().pool().maxSize()).isEqualTo(7);
            assertThat(WardenConfig.builder().poolMaxSize(3).build().pool().maxSize()).isEqualTo(3);
            // environment(...) replaces both the environment and system properties
            assertThat(env(Map.of("WARDEN_POOL_MAX_SIZE", "9")).build().pool().maxSize()).isEqualTo(9);
            assertThat(env(Map.of("WARDEN_POOL_MAX_SIZE", "9")).poolMaxSize(4).build().pool().maxSize()).isEqualTo(4);
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    @Test
    void applicationDefaultsComeAfterEveryUserSettingAndAreChecked() {
        Map<String, String> appDefaults = Map.of("WARDEN_SCHEMAS", "shop", "WARDEN_POOL_MAX_SIZE", "4");
        WardenConfig plain = env(Map.of()).defaults(appDefaults).build();
        assertThat(plain.schemas().application()).containsExactly("shop");
        assertThat(plain.pool().maxSize()).isEqualTo(4);
        // the environment, and a builder call, still win over the application's default
        assertThat(env(Map.of("WARDEN_SCHEMAS", "public")).defaults(appDefaults).build().schemas().application()).containsExactly("public");
        assertThat(env(Map.of()).defaults(appDefaults).poolMaxSize(6).build().pool().maxSize()).isEqualTo(6);
        // environment(...) after defaults(...) keeps them
        assertThat(WardenConfig.builder().defaults(appDefaults).environment(Map.of()).build().schemas().application())
                .containsExactly("shop");
        assertThatThrownBy(() -> env(Map.of()).defaults(Map.of("WARDEN_POOL_SIZE", "4")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Not a Warden variable: WARDEN_POOL_SIZE");
        assertThatThrownBy(() -> env(Map.of()).defaults(Map.of("WARDEN_POOL_MAX_SIZE", "many")).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_POOL_MAX_SIZE must be an integer from 1 to 1000, got \"many\"");
    }

    @Test
    void secretsNeverAppearInToString() {
        WardenConfig c = env(Map.of(
                "WARDEN_DB_URL", "jdbc:postgresql://db:5432/app?password=s3cret-Pa55&ssl=true",
                "WARDEN_DB_PASSWORD", "s3cret-Pa55")).build();
        String shown = c.toString();
        assertThat(shown).doesNotContain("s3cret-Pa55").doesNotContain("Pa55")
                .contains("password=****").contains("ssl=true").contains("db:5432/app")
                .contains("database=DatabaseSettings[url=jdbc:postgresql://db:5432/app?ssl=true").contains("pool=PoolSettings[maxSize=");
        assertThat(c.database().toString()).doesNotContain("Pa55").contains("password=****");
        assertThat(c.database().password().toString()).isEqualTo("****");
        assertThat(String.valueOf(c.database().password())).doesNotContain("s3cret");
    }

    @Test
    void urlCredentialsAreUsedWhenNoVariableSetsThem() {
        WardenConfig c = env(Map.of("WARDEN_DB_URL",
                "jdbc:postgresql://db:5432/app?ssl=true&user=shop&password=p%40ss;word+1&ApplicationName=x")).build();
        assertThat(c.database().user()).isEqualTo("shop");
        assertThat(c.database().password().reveal()).isEqualTo("p@ss;word 1"); // decoded as pgjdbc decodes it
        assertThat(c.database().url()).contains("jdbc:postgresql://db:5432/app?ssl=true&ApplicationName=x");
        // The same user or password on both sides is no conflict.
        WardenConfig same = env(Map.of("WARDEN_DB_URL", "jdbc:postgresql://db/app?user=shop&password=pw",
                "WARDEN_DB_USER", "shop", "WARDEN_DB_PASSWORD", "pw")).build();
        assertThat(same.database().user()).isEqualTo("shop");
        assertThat(same.database().password().reveal()).isEqualTo("pw");
        assertThat(env(Map.of("WARDEN_DB_URL", "jdbc:postgresql://db/app")).build().database().user()).isEqualTo("postgres");
    }

    @Test
    void conflictingCredentialsNameBothVariablesAndNeverThePassword() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> env(Map.of(
                "WARDEN_DB_URL", "jdbc:postgresql://db/app?user=shop&password=url-Pa55",
                "WARDEN_DB_USER", "admin", "WARDEN_DB_PASSWORD", "env-Pa55")).build());
        assertThat(e.problems()).containsExactly(
                "WARDEN_DB_USER (\"admin\") and the user in WARDEN_DB_URL (\"shop\") differ: set only one of them,"
                        + " or the same user in both",
                "WARDEN_DB_PASSWORD and the password in WARDEN_DB_URL differ: set only one of them, or the same"
                        + " password in both");
        assertThat(e.getMessage()).doesNotContain("Pa55");
        // An explicit "postgres" is a choice too.
        assertThatThrownBy(() -> env(Map.of("WARDEN_DB_URL", "jdbc:postgresql://db/app?user=shop",
                "WARDEN_DB_USER", "postgres")).build()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("WARDEN_DB_USER (\"postgres\") and the user in WARDEN_DB_URL (\"shop\") differ");
    }

    @Test
    void maskUrlHidesEveryPasswordForm() {
        assertThat(WardenConfig.maskUrl("jdbc:postgresql://h/db?password=a;b;c&ssl=true"))
                .isEqualTo("jdbc:postgresql://h/db?password=****&ssl=true");
        assertThat(WardenConfig.maskUrl("jdbc:postgresql://h/db?sslpassword=k3y&PASSWORD=x"))
                .isEqualTo("jdbc:postgresql://h/db?sslpassword=****&PASSWORD=****");
        assertThat(WardenConfig.maskUrl("postgres://app:p@ss/w@db:5432/app?sslmode=require"))
                .isEqualTo("postgres://app:****@db:5432/app?sslmode=require");
    }

    @Test
    void everyVariableIsListedWithItsDefault() {
        assertThat(WardenConfig.variables()).containsEntry("WARDEN_POOL_MAX_SIZE", "10")
                .containsEntry("WARDEN_DB_URL", "")
                .allSatisfy((k, v) -> assertThat(k).startsWith("WARDEN_"));
    }
}
