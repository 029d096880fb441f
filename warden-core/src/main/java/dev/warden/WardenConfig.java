package dev.warden;

import dev.warden.internal.config.UrlCredentials;
import dev.warden.tx.Isolation;
import dev.warden.tx.RetryPolicy;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything Warden needs to know, validated once. Build it with {@link #builder()}: each option
 * comes from, in order of precedence, an explicit builder call, a system property
 * ({@code warden.pool.max.size}), an environment variable ({@code WARDEN_POOL_MAX_SIZE}) or the
 * default. A bad value fails {@link Builder#build()} with a {@link ConfigException} that names the
 * variable, the value and the rule. {@link #toString()} never shows the password.
 *
 * @param dbUrl              JDBC URL ({@code WARDEN_DB_URL}) without its {@code user} and {@code password}
 *                           parameters (they are moved to {@code dbUser} and {@code dbPassword}); empty means the
 *                           embedded PostgreSQL
 * @param dbUser             database user ({@code WARDEN_DB_USER}, else the URL's {@code user}, else {@code postgres})
 * @param dbPassword         database password ({@code WARDEN_DB_PASSWORD}, else the URL's {@code password}), never
 *                           printed
 * @param poolMaxSize        most connections in the pool ({@code WARDEN_POOL_MAX_SIZE})
 * @param poolAcquireTimeout longest wait for a pooled connection ({@code WARDEN_POOL_ACQUIRE_TIMEOUT})
 * @param connectTimeout     longest wait to open a connection ({@code WARDEN_DB_CONNECT_TIMEOUT})
 * @param socketTimeout      longest wait for any answer from the server ({@code WARDEN_DB_SOCKET_TIMEOUT})
 * @param statementTimeout   server-side limit per statement, zero for none ({@code WARDEN_STATEMENT_TIMEOUT})
 * @param startupTimeout     how long {@code start()} keeps trying to reach the database ({@code WARDEN_STARTUP_TIMEOUT})
 * @param retry              default retry policy of transactions ({@code WARDEN_RETRY_*})
 * @param isolation          default isolation of transactions ({@code WARDEN_TX_ISOLATION})
 * @param schemas            the application's schemas ({@code WARDEN_SCHEMAS})
 * @param wardenSchema       Warden's own schema, never wiped ({@code WARDEN_SCHEMA})
 * @param applicationName    name shown in {@code pg_stat_activity} ({@code WARDEN_APP_NAME})
 * @param embeddedDir        data directory of the embedded PostgreSQL ({@code WARDEN_EMBEDDED_DIR})
 * @param embeddedPort       port of the embedded PostgreSQL, 0 for any free one ({@code WARDEN_EMBEDDED_PORT})
 * @param monitorInterval    between health probes while READY ({@code WARDEN_MONITOR_INTERVAL}); zero runs no
 *                           monitor: no probes, no DEGRADED state, no fast failure (for measurements only)
 * @param monitorTimeout     longest a health probe may take ({@code WARDEN_MONITOR_TIMEOUT})
 * @param monitorFailures    consecutive failed probes that make READY become DEGRADED ({@code WARDEN_MONITOR_FAILURES})
 * @param monitorRecoveryInterval between probes after a failure and while DEGRADED ({@code WARDEN_MONITOR_RECOVERY_INTERVAL})
 * @param readyWait          how long work submitted before READY waits for it ({@code WARDEN_READY_WAIT})
 * @param drainTimeout       how long {@code close()} waits for transactions in flight before it closes the pool
 *                           ({@code WARDEN_DRAIN_TIMEOUT})
 * @param httpPort           port of the standalone management server, 0 for any ({@code WARDEN_MANAGEMENT_PORT})
 * @param poolRefillSpread   after a recovery, the time over which the pool returns to its size, each
 *                           connection at a random moment within it ({@code WARDEN_POOL_REFILL_SPREAD}); 0: at once
 * @param readinessGrace     how long readiness stays true after READY became DEGRADED, so that a blip does not
 *                           take a whole fleet out of its Service at once ({@code WARDEN_READINESS_GRACE}); 0: none
 * @param init               exactly-once initialisation: epoch, wipe, lock, migrations ({@code WARDEN_INIT_*},
 *                           {@code WARDEN_MIGRATIONS})
 * @param txVerifyCommit     every transaction finds out what became of a COMMIT lost with its connection
 *                           ({@code WARDEN_TX_VERIFY_COMMIT}); see {@code TransactionBuilder.verifyCommit()}
 * @param poolReadOnly       the pool only reads (e.g. from a standby): a read-only server is READY
 *                           ({@code WARDEN_POOL_READ_ONLY}); also implied by {@code targetServerType=standby}
 *                           or {@code preferStandby} in the URL
 * @param rideThrough        how long new work waits for an unavailable database to come back, counted from
 *                           the start of the unavailability, before failing fast ({@code WARDEN_RIDE_THROUGH})
 * @param stallBound         how long a server whose host answers TCP but which answers no query (stopped,
 *                           starved, a paused pooler) stays READY with its work kept ({@code WARDEN_STALL_BOUND})
 */
public record WardenConfig(
        Optional<String> dbUrl,
        String dbUser,
        Secret dbPassword,
        int poolMaxSize,
        Duration poolAcquireTimeout,
        Duration connectTimeout,
        Duration socketTimeout,
        Duration statementTimeout,
        Duration startupTimeout,
        RetryPolicy retry,
        Isolation isolation,
        List<String> schemas,
        String wardenSchema,
        String applicationName,
        Path embeddedDir,
        int embeddedPort,
        Duration monitorInterval,
        Duration monitorTimeout,
        int monitorFailures,
        Duration monitorRecoveryInterval,
        Duration readyWait,
        Duration drainTimeout,
        int httpPort,
        Duration poolRefillSpread,
        Duration readinessGrace,
        InitSettings init,
        boolean txVerifyCommit,
        boolean poolReadOnly,
        // ---- issue 21: ride-through and stall bound ----
        Duration rideThrough,
        Duration stallBound) {

    /**
     * Validates the values again, so that a config made without the builder obeys the same rules.
     * Credentials in the URL are moved out of it: its password fills an empty {@code dbPassword}, its
     * user replaces the default {@code postgres}; a different value on both sides is an error.
     */
    public WardenConfig {
        Objects.requireNonNull(dbUrl, "dbUrl");
        Objects.requireNonNull(dbPassword, "dbPassword");
        Objects.requireNonNull(dbUser, "dbUser");
        List<String> problems = new ArrayList<>();
        if (dbUrl.isPresent()) {
            UrlCredentials fromUrl = UrlCredentials.of(dbUrl.get());
            dbUrl = Optional.of(fromUrl.url());
            dbUser = credentialProblem(DB_USER, dbUser, !dbUser.equals(DB_USER.defaultRaw()), fromUrl, problems);
            dbPassword = passwordProblem(dbPassword, fromUrl, problems);
        }
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(isolation, "isolation");
        Objects.requireNonNull(embeddedDir, "embeddedDir");
        Objects.requireNonNull(init, "init");
        schemas = List.copyOf(schemas);
        dbUrl.ifPresent(url -> urlProblems(url, problems));
        DB_USER.check(dbUser, dbUser, problems);
        POOL_MAX_SIZE.check(poolMaxSize, String.valueOf(poolMaxSize), problems);
        POOL_ACQUIRE_TIMEOUT.check(poolAcquireTimeout, format(poolAcquireTimeout), problems);
        CONNECT_TIMEOUT.check(connectTimeout, format(connectTimeout), problems);
        SOCKET_TIMEOUT.check(socketTimeout, format(socketTimeout), problems);
        STATEMENT_TIMEOUT.check(statementTimeout, format(statementTimeout), problems);
        STARTUP_TIMEOUT.check(startupTimeout, format(startupTimeout), problems);
        for (String schema : schemas) {
            SCHEMAS.check(List.of(schema), String.join(",", schemas), problems);
        }
        WARDEN_SCHEMA.check(wardenSchema, wardenSchema, problems);
        if (schemas.isEmpty()) {
            problems.add(SCHEMAS.env + " must name at least one schema, got \"\"");
        }
        if (schemas.contains(wardenSchema)) {
            problems.add(WARDEN_SCHEMA.env + " must not be one of the application schemas in " + SCHEMAS.env
                    + " (a wipe would delete Warden's own records), got \"" + wardenSchema + "\"");
        }
        APP_NAME.check(applicationName, applicationName, problems);
        EMBEDDED_PORT.check(embeddedPort, String.valueOf(embeddedPort), problems);
        MONITOR_INTERVAL.check(monitorInterval, format(monitorInterval), problems);
        MONITOR_TIMEOUT.check(monitorTimeout, format(monitorTimeout), problems);
        MONITOR_FAILURES.check(monitorFailures, String.valueOf(monitorFailures), problems);
        MONITOR_RECOVERY_INTERVAL.check(monitorRecoveryInterval, format(monitorRecoveryInterval), problems);
        READY_WAIT.check(readyWait, format(readyWait), problems);
        DRAIN_TIMEOUT.check(drainTimeout, format(drainTimeout), problems);
        HTTP_PORT.check(httpPort, String.valueOf(httpPort), problems);
        POOL_REFILL_SPREAD.check(poolRefillSpread, format(poolRefillSpread), problems);
        READINESS_GRACE.check(readinessGrace, format(readinessGrace), problems);
        // ---- issue 21: ride-through and stall bound ----
        Objects.requireNonNull(rideThrough, "rideThrough");
        Objects.requireNonNull(stallBound, "stallBound");
        RIDE_THROUGH.check(rideThrough, format(rideThrough), problems);
        STALL_BOUND.check(stallBound, format(stallBound), problems);
        init.epoch().ifPresent(e -> INIT_EPOCH.check(e, e, problems));
        INIT_LEASE_TTL.check(init.leaseTtl(), format(init.leaseTtl()), problems);
        INIT_HEARTBEAT.check(init.heartbeat(), format(init.heartbeat()), problems);
        INIT_ATTEMPTS.check(init.attempts(), String.valueOf(init.attempts()), problems);
        INIT_TIMEOUT.check(init.timeout(), format(init.timeout()), problems);
        INIT_IDLE_TIMEOUT.check(init.idleTimeout(), format(init.idleTimeout()), problems);
        MIGRATIONS.check(init.migrations(), String.join(",", init.migrations()), problems);
        heartbeatProblem(init.leaseTtl(), init.heartbeat(), format(init.heartbeat()), problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /** A builder that reads the process environment and system properties for unset options. */
    public static Builder builder() {
        return new Builder(System.getenv(), System.getProperties());
    }

    /** The configuration from the environment and system properties alone. */
    public static WardenConfig fromEnvironment() {
        return builder().build();
    }

    /** This configuration with other initialisation settings (checked by the same rules). */
    public WardenConfig withInit(InitSettings other) {
        return new WardenConfig(dbUrl, dbUser, dbPassword, poolMaxSize, poolAcquireTimeout, connectTimeout,
                socketTimeout, statementTimeout, startupTimeout, retry, isolation, schemas, wardenSchema,
                applicationName, embeddedDir, embeddedPort, monitorInterval, monitorTimeout, monitorFailures,
                monitorRecoveryInterval, readyWait, drainTimeout, httpPort, poolRefillSpread, readinessGrace, other,
                txVerifyCommit, poolReadOnly, rideThrough, stallBound);
    }

    /** True when no {@code WARDEN_DB_URL} is set and Warden starts its embedded PostgreSQL. */
    public boolean embedded() {
        return dbUrl.isEmpty();
    }

    /**
     * True when the pool is meant to read only: {@code WARDEN_POOL_READ_ONLY}, or a URL whose
     * {@code targetServerType} is {@code standby}/{@code secondary} or {@code preferStandby}/
     * {@code preferSecondary}. Such a pool is not judged by whether the server accepts writes.
     */
    public boolean readsOnly() {
        if (poolReadOnly) {
            return true;
        }
        Matcher m = TARGET_SERVER_TYPE.matcher(dbUrl.orElse(""));
        if (!m.find()) {
            return false;
        }
        String t = m.group(1).toLowerCase(Locale.ROOT);
        return t.equals("standby") || t.equals("secondary") || t.equals("slave") || t.equals("preferstandby")
                || t.equals("prefersecondary") || t.equals("preferslave");
    }

    private static final Pattern TARGET_SERVER_TYPE = Pattern.compile("(?i)[?&]targetServerType=([A-Za-z]+)");

    /** Shows every option, with the password and any password in the URL masked. */
    @Override
    public String toString() {
        return "WardenConfig[dbUrl=" + dbUrl.map(WardenConfig::maskUrl).orElse("(embedded)")
                + ", dbUser=" + dbUser
                + ", dbPassword=" + (dbPassword.isEmpty() ? "(none)" : "****")
                + ", poolMaxSize=" + poolMaxSize
                + ", poolAcquireTimeout=" + format(poolAcquireTimeout)
                + ", connectTimeout=" + format(connectTimeout)
                + ", socketTimeout=" + format(socketTimeout)
                + ", statementTimeout=" + format(statementTimeout)
                + ", startupTimeout=" + format(startupTimeout)
                + ", retry=" + retry.maxAttempts() + " attempts, backoff " + format(retry.initialBackoff())
                + ".." + format(retry.maxBackoff()) + " x" + retry.multiplier()
                + ", isolation=" + isolation
                + ", schemas=" + schemas
                + ", wardenSchema=" + wardenSchema
                + ", applicationName=" + applicationName
                + ", embeddedDir=" + embeddedDir
                + ", embeddedPort=" + embeddedPort
                + ", monitorInterval=" + format(monitorInterval)
                + ", monitorTimeout=" + format(monitorTimeout)
                + ", monitorFailures=" + monitorFailures
                + ", monitorRecoveryInterval=" + format(monitorRecoveryInterval)
                + ", readyWait=" + format(readyWait)
                + ", drainTimeout=" + format(drainTimeout)
                + ", httpPort=" + httpPort
                + ", poolRefillSpread=" + format(poolRefillSpread)
                + ", readinessGrace=" + format(readinessGrace)
                + ", init=" + init
                + ", txVerifyCommit=" + txVerifyCommit
                + ", poolReadOnly=" + poolReadOnly + ", rideThrough=" + format(rideThrough)
                + ", stallBound=" + format(stallBound) + "]";
    }

    // A password parameter runs to the next '&' (pgjdbc's only separator: a ';' is part of the value);
    // a user:password@ part runs to the last '@' before the query, since a password may hold '@' or '/'.
    private static final Pattern URL_SECRET = Pattern.compile("(?i)(password=)[^&]*|(//[^/@:?]*:)[^?]*@");

    /**
     * The URL with any {@code password=} parameter (including {@code sslpassword=}) or
     * {@code user:password@} part replaced by {@code ****}. Warden's own URLs carry no password at
     * all (see {@link #dbUrl()}); this is for URLs as users wrote them.
     */
    public static String maskUrl(String url) {
        Matcher m = URL_SECRET.matcher(url);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(
                    m.group(1) != null ? m.group(1) + "****" : m.group(2) + "****@"));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Formats a duration the way the variables are written: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms != 0 && ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms != 0 && ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms != 0 && ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    // ---- the options: one place for names, defaults and rules -------------------------------------

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final String DURATION_FORMAT = "a duration like 250ms, 5s or 2m";

    static final Opt<String> DB_URL = new Opt<>("WARDEN_DB_URL", "",
            "a JDBC URL starting with jdbc:postgresql://", Function.identity(),
            url -> url.startsWith("jdbc:postgresql://") && url.length() > "jdbc:postgresql://".length());
    static final Opt<String> DB_USER = new Opt<>("WARDEN_DB_USER", "postgres",
            "a user name of 1 to 63 characters", Function.identity(), u -> !u.isBlank() && u.length() <= 63);
    static final Opt<String> DB_PASSWORD = new Opt<>("WARDEN_DB_PASSWORD", "",
            "any text", Function.identity(), p -> true);
    static final Opt<Integer> POOL_MAX_SIZE = intOpt("WARDEN_POOL_MAX_SIZE", 10, 1, 1000);
    static final Opt<Duration> POOL_ACQUIRE_TIMEOUT =
            durationOpt("WARDEN_POOL_ACQUIRE_TIMEOUT", "5s", Duration.ofMillis(250), Duration.ofMinutes(10), false);
    static final Opt<Duration> CONNECT_TIMEOUT =
            durationOpt("WARDEN_DB_CONNECT_TIMEOUT", "5s", Duration.ofSeconds(1), Duration.ofHours(1), true);
    static final Opt<Duration> SOCKET_TIMEOUT =
            durationOpt("WARDEN_DB_SOCKET_TIMEOUT", "60s", Duration.ofSeconds(1), Duration.ofHours(1), true);
    static final Opt<Duration> STATEMENT_TIMEOUT =
            durationOpt("WARDEN_STATEMENT_TIMEOUT", "0ms", Duration.ZERO, Duration.ofHours(1), false);
    static final Opt<Duration> STARTUP_TIMEOUT =
            durationOpt("WARDEN_STARTUP_TIMEOUT", "60s", Duration.ofSeconds(1), Duration.ofHours(1), false);
    static final Opt<Integer> RETRY_MAX_ATTEMPTS = intOpt("WARDEN_RETRY_MAX_ATTEMPTS", 5, 1, 100);
    static final Opt<Duration> RETRY_INITIAL_BACKOFF =
            durationOpt("WARDEN_RETRY_INITIAL_BACKOFF", "10ms", Duration.ZERO, Duration.ofMinutes(1), false);
    static final Opt<Duration> RETRY_MAX_BACKOFF =
            durationOpt("WARDEN_RETRY_MAX_BACKOFF", "1s", Duration.ZERO, Duration.ofMinutes(10), false);
    static final Opt<Double> RETRY_MULTIPLIER = new Opt<>("WARDEN_RETRY_MULTIPLIER", "2.0",
            "a number from 1.0 to 10.0", Double::valueOf, m -> m >= 1.0 && m <= 10.0);
    static final Opt<Isolation> TX_ISOLATION = new Opt<>("WARDEN_TX_ISOLATION", "DEFAULT",
            "one of " + Arrays.toString(Isolation.values()),
            s -> Isolation.valueOf(s.trim().toUpperCase(Locale.ROOT).replace(' ', '_').replace('-', '_')), i -> true);
    static final Opt<List<String>> SCHEMAS = new Opt<>("WARDEN_SCHEMAS", "public",
            "a comma-separated list of lower-case SQL identifiers (letters, digits, _; at most 63 characters each)",
            s -> Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).distinct().toList(),
            l -> l.stream().allMatch(x -> IDENTIFIER.matcher(x).matches()));
    static final Opt<String> WARDEN_SCHEMA = new Opt<>("WARDEN_SCHEMA", "warden",
            "a lower-case SQL identifier (letters, digits, _; at most 63 characters)", String::trim,
            s -> IDENTIFIER.matcher(s).matches());
    static final Opt<String> APP_NAME = new Opt<>("WARDEN_APP_NAME", "warden",
            "printable ASCII text of 1 to 63 characters", Function.identity(),
            s -> !s.isBlank() && s.length() <= 63 && s.chars().allMatch(c -> c >= 0x20 && c < 0x7f));
    static final Opt<Path> EMBEDDED_DIR = new Opt<>("WARDEN_EMBEDDED_DIR", ".warden/pgdata",
            "a directory path", Path::of, p -> !p.toString().isBlank());
    static final Opt<Integer> EMBEDDED_PORT = intOpt("WARDEN_EMBEDDED_PORT", 0, 0, 65535);
    // One cheap round trip per second per replica; with 2 failures and the 100ms recovery interval,
    // an outage is declared within about 1.1 s plus one probe timeout (docs/health.md).
    static final Opt<Duration> MONITOR_INTERVAL = new Opt<>("WARDEN_MONITOR_INTERVAL", "1s",
            "0 (no health monitor) or " + DURATION_FORMAT + ", from 100ms to 1m", WardenConfig::parseDuration,
            d -> d.isZero() || (d.compareTo(Duration.ofMillis(100)) >= 0 && d.compareTo(Duration.ofMinutes(1)) <= 0));
    static final Opt<Duration> MONITOR_TIMEOUT =
            durationOpt("WARDEN_MONITOR_TIMEOUT", "400ms", Duration.ofMillis(100), Duration.ofMinutes(1), false);
    static final Opt<Integer> MONITOR_FAILURES = intOpt("WARDEN_MONITOR_FAILURES", 2, 1, 100);
    static final Opt<Duration> MONITOR_RECOVERY_INTERVAL =
            durationOpt("WARDEN_MONITOR_RECOVERY_INTERVAL", "100ms", Duration.ofMillis(10), Duration.ofSeconds(10), false);
    static final Opt<Duration> READY_WAIT =
            durationOpt("WARDEN_READY_WAIT", "5s", Duration.ZERO, Duration.ofMinutes(10), false);
    // Fits Kubernetes' default 30 s grace period with room for a preStop delay (deploy/k8s: 5 s + 20 s).
    static final Opt<Duration> DRAIN_TIMEOUT =
            durationOpt("WARDEN_DRAIN_TIMEOUT", "20s", Duration.ZERO, Duration.ofMinutes(10), false);
    static final Opt<Integer> HTTP_PORT = intOpt("WARDEN_MANAGEMENT_PORT", 9080, 0, 65535);
    // Spread so that replicas recovering together do not reconnect their whole pools in one instant.
    static final Opt<Duration> POOL_REFILL_SPREAD =
            durationOpt("WARDEN_POOL_REFILL_SPREAD", "2s", Duration.ZERO, Duration.ofMinutes(1), false);
    // ---- issue 21: ride-through and stall bound (docs/health.md, "Readiness, fail-fast and ride-through") ----
    // 15 s: longer than a planned Patroni switchover (2-3 s without a primary), a 5 s PgBouncer PAUSE,
    // a 5 s server stall and a 10 s network blackhole, each with detection and recovery on top (the
    // plain pool serves all of these late, within HikariCP's 30 s acquire timeout); below the 30 s
    // most HTTP clients give up at. Not a Patroni crash failover (ttl + loop_wait: 25 s by default).
    // 0 restores the plain fail-fast.
    static final Opt<Duration> RIDE_THROUGH =
            durationOpt("WARDEN_RIDE_THROUGH", "15s", Duration.ZERO, Duration.ofMinutes(10), false);
    // 8 s: a 5 s stall (VM pause, storage brownout, paused pooler) plus the probe's own second passes
    // without an abort, and work that was in flight at the stall still ends within the ride-through.
    static final Opt<Duration> STALL_BOUND =
            durationOpt("WARDEN_STALL_BOUND", "8s", Duration.ofMillis(500), Duration.ofMinutes(10), false);
    // ---- end of issue 21 ----
    static final Opt<Duration> READINESS_GRACE =
            durationOpt("WARDEN_READINESS_GRACE", "0s", Duration.ZERO, Duration.ofMinutes(5), false);
    static final Opt<String> INIT_EPOCH = new Opt<>("WARDEN_INIT_EPOCH", "",
            "empty (derive the epoch from migrations, seed version and wipe flag) or 1 to 100 characters of"
                    + " letters, digits and . _ : / + -", String::trim,
            s -> s.isEmpty() || s.matches("[A-Za-z0-9._:/+-]{1,100}"));
    static final Opt<Boolean> INIT_WIPE = new Opt<>("WARDEN_INIT_WIPE", "false", "true or false",
            WardenConfig::parseBoolean, b -> true);
    static final Opt<InitSettings.LockKind> INIT_LOCK = new Opt<>("WARDEN_INIT_LOCK", "advisory",
            "advisory (a PostgreSQL session advisory lock) or lease (a lease row with heartbeat and expiry)",
            s -> InitSettings.LockKind.valueOf(s.trim().toUpperCase(Locale.ROOT)), k -> true);
    static final Opt<Duration> INIT_LEASE_TTL =
            durationOpt("WARDEN_INIT_LEASE_TTL", "10s", Duration.ofMillis(500), Duration.ofMinutes(10), false);
    static final Opt<Duration> INIT_HEARTBEAT =
            durationOpt("WARDEN_INIT_HEARTBEAT", "2s", Duration.ofMillis(100), Duration.ofMinutes(5), false);
    static final Opt<Integer> INIT_ATTEMPTS = intOpt("WARDEN_INIT_ATTEMPTS", 3, 1, 100);
    static final Opt<Duration> INIT_TIMEOUT =
            durationOpt("WARDEN_INIT_TIMEOUT", "10m", Duration.ofSeconds(1), Duration.ofHours(24), false);
    static final Opt<Boolean> TX_VERIFY_COMMIT = new Opt<>("WARDEN_TX_VERIFY_COMMIT", "false", "true or false",
            WardenConfig::parseBoolean, b -> true);
    static final Opt<Boolean> POOL_READ_ONLY = new Opt<>("WARDEN_POOL_READ_ONLY", "false", "true or false",
            WardenConfig::parseBoolean, b -> true);
    // A holder whose host died or was cut off is taken over within about this (plus one poll): the
    // server ends its silent sessions (idle_session_timeout on the lock session, which heartbeats
    // every quarter of it; idle_in_transaction_session_timeout on its work). See docs/init.md.
    static final Opt<Duration> INIT_IDLE_TIMEOUT =
            durationOpt("WARDEN_INIT_IDLE_TIMEOUT", "10s", Duration.ofSeconds(2), Duration.ofHours(1), false);
    static final Opt<List<String>> MIGRATIONS = new Opt<>("WARDEN_MIGRATIONS", "",
            "a comma-separated list of Flyway locations such as classpath:db/migration or filesystem:/sql",
            s -> Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).distinct().toList(),
            l -> l.stream().allMatch(x -> x.matches("(classpath:|filesystem:)?[^\\s,]+")));

    private static void heartbeatProblem(Duration ttl, Duration heartbeat, String shown, List<String> problems) {
        if (heartbeat.multipliedBy(2).compareTo(ttl) > 0) {
            problems.add(INIT_HEARTBEAT.env + " must be at most half of " + INIT_LEASE_TTL.env + " (" + format(ttl)
                    + ") so that one late heartbeat does not lose the lease, got \"" + shown + "\"");
        }
    }

    static boolean parseBoolean(String raw) {
        return switch (raw.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException(raw);
        };
    }

    /** One option: its variable, default, rule text, parser and range check. */
    record Opt<T>(String env, String defaultRaw, String rule, Function<String, T> parser,
                  java.util.function.Predicate<T> valid) {

        /** The system property spelling: {@code WARDEN_POOL_MAX_SIZE} → {@code warden.pool.max.size}. */
        String property() {
            return env.toLowerCase(Locale.ROOT).replace('_', '.');
        }

        T parse(String raw, List<String> problems) {
            try {
                T value = parser.apply(raw.trim());
                if (valid.test(value)) {
                    return value;
                }
            } catch (RuntimeException badFormat) {
                // reported below with the rule, which says more than the parser's message
            }
            problems.add(env + " must be " + rule + ", got \"" + shown(env, raw) + "\"");
            return null;
        }

        void check(T value, String shown, List<String> problems) {
            if (value == null || !valid.test(value)) {
                problems.add(env + " must be " + rule + ", got \"" + shown(env, shown) + "\"");
            }
        }
    }

    /** A value as an error message may show it: a URL masked, a password never. */
    private static String shown(String env, String raw) {
        if (env.equals(DB_PASSWORD.env())) {
            return "****";
        }
        return env.equals(DB_URL.env()) ? maskUrl(raw) : raw;
    }

    /** WARDEN_DB_URL's rules, with a hint for the forms people write by mistake. */
    private static void urlProblems(String url, List<String> problems) {
        if (!DB_URL.valid().test(url)) {
            String hint = url.matches("(?i)postgres(ql)?://.*")
                    ? " (this is a libpq URL: write jdbc:postgresql://host:port/database and give the user and"
                    + " password in " + DB_USER.env() + " and " + DB_PASSWORD.env() + ")" : "";
            problems.add(DB_URL.env() + " must be " + DB_URL.rule() + ", got \"" + maskUrl(url) + "\"" + hint);
        } else if (url.matches("jdbc:postgresql://[^/?]*@.*")) {
            problems.add(DB_URL.env() + " must not hold user:password@ (pgjdbc does not read it), got \""
                    + maskUrl(url) + "\": give them as ?user=…&password=… or in " + DB_USER.env() + " and "
                    + DB_PASSWORD.env());
        }
    }

    /** The user to connect as: the set variable, else the URL's user, else the default; both set and different is a problem. */
    private static String credentialProblem(Opt<String> opt, String value, boolean set, UrlCredentials url,
                                            List<String> problems) {
        if (url.user().isEmpty()) {
            return value;
        }
        String fromUrl = url.user().get();
        if (set && !fromUrl.equals(value)) {
            problems.add(opt.env() + " (\"" + value + "\") and the user in " + DB_URL.env() + " (\"" + fromUrl
                    + "\") differ: set only one of them, or the same user in both");
            return value;
        }
        return fromUrl;
    }

    /** The password: the set variable, else the URL's; both set and different is a problem that shows neither. */
    private static Secret passwordProblem(Secret value, UrlCredentials url, List<String> problems) {
        if (url.password().isEmpty()) {
            return value;
        }
        if (!value.isEmpty() && !value.equals(url.password())) {
            problems.add(DB_PASSWORD.env() + " and the password in " + DB_URL.env() + " differ: set only one of"
                    + " them, or the same password in both");
            return value;
        }
        return url.password();
    }

    private static Opt<Integer> intOpt(String env, int def, int min, int max) {
        return new Opt<>(env, String.valueOf(def), "an integer from " + min + " to " + max,
                Integer::valueOf, v -> v >= min && v <= max);
    }

    private static Opt<Duration> durationOpt(String env, String def, Duration min, Duration max, boolean wholeSeconds) {
        String rule = DURATION_FORMAT + (wholeSeconds ? " in whole seconds" : "")
                + ", from " + format(min) + " to " + format(max);
        return new Opt<>(env, def, rule, WardenConfig::parseDuration,
                d -> d.compareTo(min) >= 0 && d.compareTo(max) <= 0 && (!wholeSeconds || d.toMillis() % 1000 == 0));
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h)");

    /** Parses {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT5S}). */
    static Duration parseDuration(String raw) {
        String s = raw.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("pt")) {
            return Duration.parse(s.toUpperCase(Locale.ROOT));
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException(raw);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    /**
     * Collects options. Typed setters win over system properties, which win over environment
     * variables, which win over defaults. Nothing is checked until {@link #build()}, which reports
     * every bad value at once.
     */
    public static final class Builder {
        private final Map<String, String> env;
        private final Properties properties;
        private final Map<String, String> explicit = new HashMap<>();
        private final Map<String, String> defaults = new HashMap<>();

        private Builder(Map<String, String> env, Properties properties) {
            this.env = env;
            this.properties = properties;
        }

        /**
         * Reads unset options from this map of variables instead of the process environment, and
         * ignores system properties. For tests and for configuration held elsewhere.
         */
        public Builder environment(Map<String, String> variables) {
            Builder b = new Builder(Map.copyOf(variables), new Properties());
            b.explicit.putAll(explicit);
            b.defaults.putAll(defaults);
            return b;
        }

        /**
         * An application's own defaults, keyed by variable name (e.g. {@code WARDEN_SCHEMAS} →
         * {@code "shop"}): used for an option that no builder call, system property or environment
         * variable sets, in place of Warden's default. Values are checked by {@link #build()} like
         * any other.
         *
         * @throws IllegalArgumentException for a name that is not one of {@link WardenConfig#variables()}
         */
        public Builder defaults(Map<String, String> variables) {
            Set<String> known = variables().keySet();
            for (Map.Entry<String, String> e : variables.entrySet()) {
                if (!known.contains(e.getKey())) {
                    throw new IllegalArgumentException("Not a Warden variable: " + e.getKey()
                            + " (known: " + String.join(", ", known) + ")");
                }
                defaults.put(e.getKey(), Objects.requireNonNull(e.getValue(), e.getKey()));
            }
            return this;
        }

        public Builder dbUrl(String jdbcUrl) { return set(DB_URL, jdbcUrl); }
        public Builder dbUser(String user) { return set(DB_USER, user); }
        public Builder dbPassword(String password) { return set(DB_PASSWORD, password); }
        public Builder poolMaxSize(int size) { return set(POOL_MAX_SIZE, String.valueOf(size)); }
        public Builder poolAcquireTimeout(Duration d) { return set(POOL_ACQUIRE_TIMEOUT, format(d)); }
        public Builder connectTimeout(Duration d) { return set(CONNECT_TIMEOUT, format(d)); }
        public Builder socketTimeout(Duration d) { return set(SOCKET_TIMEOUT, format(d)); }
        public Builder statementTimeout(Duration d) { return set(STATEMENT_TIMEOUT, format(d)); }
        public Builder startupTimeout(Duration d) { return set(STARTUP_TIMEOUT, format(d)); }
        public Builder retryMaxAttempts(int attempts) { return set(RETRY_MAX_ATTEMPTS, String.valueOf(attempts)); }
        public Builder retryInitialBackoff(Duration d) { return set(RETRY_INITIAL_BACKOFF, format(d)); }
        public Builder retryMaxBackoff(Duration d) { return set(RETRY_MAX_BACKOFF, format(d)); }
        public Builder retryMultiplier(double m) { return set(RETRY_MULTIPLIER, String.valueOf(m)); }
        public Builder isolation(Isolation i) { return set(TX_ISOLATION, i.name()); }
        public Builder schemas(String... names) { return set(SCHEMAS, String.join(",", names)); }
        public Builder wardenSchema(String name) { return set(WARDEN_SCHEMA, name); }
        public Builder applicationName(String name) { return set(APP_NAME, name); }
        public Builder embeddedDir(Path dir) { return set(EMBEDDED_DIR, dir.toString()); }
        public Builder embeddedPort(int port) { return set(EMBEDDED_PORT, String.valueOf(port)); }
        public Builder monitorInterval(Duration d) { return set(MONITOR_INTERVAL, format(d)); }
        public Builder monitorTimeout(Duration d) { return set(MONITOR_TIMEOUT, format(d)); }
        public Builder monitorFailures(int failures) { return set(MONITOR_FAILURES, String.valueOf(failures)); }
        public Builder monitorRecoveryInterval(Duration d) { return set(MONITOR_RECOVERY_INTERVAL, format(d)); }
        public Builder readyWait(Duration d) { return set(READY_WAIT, format(d)); }
        public Builder drainTimeout(Duration d) { return set(DRAIN_TIMEOUT, format(d)); }
        public Builder httpPort(int port) { return set(HTTP_PORT, String.valueOf(port)); }
        public Builder poolRefillSpread(Duration d) { return set(POOL_REFILL_SPREAD, format(d)); }
        public Builder readinessGrace(Duration d) { return set(READINESS_GRACE, format(d)); }
        // ---- issue 21 ----
        public Builder rideThrough(Duration d) { return set(RIDE_THROUGH, format(d)); }
        public Builder stallBound(Duration d) { return set(STALL_BOUND, format(d)); }
        public Builder initEpoch(String epoch) { return set(INIT_EPOCH, epoch); }
        public Builder initWipe(boolean wipe) { return set(INIT_WIPE, String.valueOf(wipe)); }
        public Builder initLock(InitSettings.LockKind kind) { return set(INIT_LOCK, kind.name()); }
        public Builder initLeaseTtl(Duration d) { return set(INIT_LEASE_TTL, format(d)); }
        public Builder initHeartbeat(Duration d) { return set(INIT_HEARTBEAT, format(d)); }
        public Builder initAttempts(int attempts) { return set(INIT_ATTEMPTS, String.valueOf(attempts)); }
        public Builder initTimeout(Duration d) { return set(INIT_TIMEOUT, format(d)); }
        public Builder initIdleTimeout(Duration d) { return set(INIT_IDLE_TIMEOUT, format(d)); }
        public Builder migrations(String... locations) { return set(MIGRATIONS, String.join(",", locations)); }
        public Builder txVerifyCommit(boolean verify) { return set(TX_VERIFY_COMMIT, String.valueOf(verify)); }
        public Builder poolReadOnly(boolean readOnly) { return set(POOL_READ_ONLY, String.valueOf(readOnly)); }

        private Builder set(Opt<?> opt, String raw) {
            explicit.put(opt.env(), Objects.requireNonNull(raw, opt.env()));
            return this;
        }

        private String raw(Opt<?> opt) {
            String v = explicit.get(opt.env());
            if (v == null) {
                v = properties.getProperty(opt.property());
            }
            if (v == null) {
                v = env.get(opt.env());
            }
            if (v == null) {
                v = defaults.get(opt.env());
            }
            return v == null ? opt.defaultRaw() : v;
        }

        /** True when a builder call, system property or environment variable sets it (an application default does not). */
        private boolean isSet(Opt<?> opt) {
            return explicit.containsKey(opt.env()) || properties.getProperty(opt.property()) != null
                    || env.get(opt.env()) != null;
        }

        private <T> T get(Opt<T> opt, List<String> problems) {
            return opt.parse(raw(opt), problems);
        }

        /**
         * Validates every option and returns the configuration.
         *
         * @throws ConfigException naming each bad variable, its value and the rule it broke
         */
        public WardenConfig build() {
            List<String> problems = new ArrayList<>();
            String url = raw(DB_URL).trim();
            Optional<String> dbUrl = Optional.empty();
            String user = get(DB_USER, problems);
            Secret password = Secret.of(raw(DB_PASSWORD));
            if (!url.isEmpty()) {
                int before = problems.size();
                urlProblems(url, problems);
                if (problems.size() == before) {
                    UrlCredentials fromUrl = UrlCredentials.of(url);
                    dbUrl = Optional.of(fromUrl.url());
                    if (user != null) {
                        user = credentialProblem(DB_USER, user, isSet(DB_USER), fromUrl, problems);
                    }
                    password = passwordProblem(password, fromUrl, problems);
                }
            }
            Integer poolMaxSize = get(POOL_MAX_SIZE, problems);
            Duration acquire = get(POOL_ACQUIRE_TIMEOUT, problems);
            Duration connect = get(CONNECT_TIMEOUT, problems);
            Duration socket = get(SOCKET_TIMEOUT, problems);
            Duration statement = get(STATEMENT_TIMEOUT, problems);
            Duration startup = get(STARTUP_TIMEOUT, problems);
            Integer attempts = get(RETRY_MAX_ATTEMPTS, problems);
            Duration initial = get(RETRY_INITIAL_BACKOFF, problems);
            Duration max = get(RETRY_MAX_BACKOFF, problems);
            Double multiplier = get(RETRY_MULTIPLIER, problems);
            Isolation isolation = get(TX_ISOLATION, problems);
            List<String> schemas = get(SCHEMAS, problems);
            String wardenSchema = get(WARDEN_SCHEMA, problems);
            String appName = get(APP_NAME, problems);
            Path dir = null;
            try {
                dir = get(EMBEDDED_DIR, problems);
            } catch (InvalidPathException e) {
                problems.add(EMBEDDED_DIR.env() + " must be a directory path, got \"" + raw(EMBEDDED_DIR) + "\"");
            }
            Integer port = get(EMBEDDED_PORT, problems);
            Duration monitorInterval = get(MONITOR_INTERVAL, problems);
            Duration monitorTimeout = get(MONITOR_TIMEOUT, problems);
            Integer monitorFailures = get(MONITOR_FAILURES, problems);
            Duration monitorRecovery = get(MONITOR_RECOVERY_INTERVAL, problems);
            Duration readyWait = get(READY_WAIT, problems);
            Duration drainTimeout = get(DRAIN_TIMEOUT, problems);
            Integer httpPort = get(HTTP_PORT, problems);
            Duration refillSpread = get(POOL_REFILL_SPREAD, problems);
            Duration readinessGrace = get(READINESS_GRACE, problems);
            String epoch = get(INIT_EPOCH, problems);
            Boolean wipe = get(INIT_WIPE, problems);
            InitSettings.LockKind lock = get(INIT_LOCK, problems);
            Duration ttl = get(INIT_LEASE_TTL, problems);
            Duration heartbeat = get(INIT_HEARTBEAT, problems);
            Integer initAttempts = get(INIT_ATTEMPTS, problems);
            Duration initTimeout = get(INIT_TIMEOUT, problems);
            List<String> migrations = get(MIGRATIONS, problems);
            Boolean verifyCommit = get(TX_VERIFY_COMMIT, problems);
            Boolean poolReadOnly = get(POOL_READ_ONLY, problems);
            Duration idleTimeout = get(INIT_IDLE_TIMEOUT, problems);
            Duration rideThrough = get(RIDE_THROUGH, problems); // issue 21
            Duration stallBound = get(STALL_BOUND, problems); // issue 21
            if (ttl != null && heartbeat != null) {
                heartbeatProblem(ttl, heartbeat, raw(INIT_HEARTBEAT), problems);
            }
            if (initial != null && max != null && max.compareTo(initial) < 0) {
                problems.add(RETRY_MAX_BACKOFF.env() + " must be at least " + RETRY_INITIAL_BACKOFF.env() + " ("
                        + format(initial) + "), got \"" + raw(RETRY_MAX_BACKOFF) + "\"");
            }
            if (socket != null && statement != null && !statement.isZero() && statement.compareTo(socket) >= 0) {
                problems.add(STATEMENT_TIMEOUT.env() + " must be shorter than " + SOCKET_TIMEOUT.env() + " ("
                        + format(socket) + ") so that the server, not the socket, ends a slow statement, got \""
                        + raw(STATEMENT_TIMEOUT) + "\"");
            }
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
            return new WardenConfig(dbUrl, user, password, poolMaxSize, acquire, connect, socket, statement, startup,
                    new RetryPolicy(attempts, initial, max, multiplier), isolation, schemas, wardenSchema, appName,
                    dir, port, monitorInterval, monitorTimeout, monitorFailures, monitorRecovery, readyWait,
                    drainTimeout, httpPort, refillSpread, readinessGrace,
                    new InitSettings(epoch.isEmpty() ? Optional.empty() : Optional.of(epoch), wipe, lock, ttl, heartbeat,
                            initAttempts, initTimeout, migrations, idleTimeout), verifyCommit, poolReadOnly,
                    rideThrough, stallBound);
        }
    }

    /** Every variable Warden reads, with its default: for documentation and {@code --help} output. */
    public static Map<String, String> variables() {
        Map<String, String> vars = new LinkedHashMap<>();
        for (Opt<?> o : List.of(DB_URL, DB_USER, DB_PASSWORD, POOL_MAX_SIZE, POOL_ACQUIRE_TIMEOUT, CONNECT_TIMEOUT,
                SOCKET_TIMEOUT, STATEMENT_TIMEOUT, STARTUP_TIMEOUT, RETRY_MAX_ATTEMPTS, RETRY_INITIAL_BACKOFF,
                RETRY_MAX_BACKOFF, RETRY_MULTIPLIER, TX_ISOLATION, SCHEMAS, WARDEN_SCHEMA, APP_NAME, EMBEDDED_DIR,
                EMBEDDED_PORT, MONITOR_INTERVAL, MONITOR_TIMEOUT, MONITOR_FAILURES, MONITOR_RECOVERY_INTERVAL,
                READY_WAIT, DRAIN_TIMEOUT, HTTP_PORT, POOL_REFILL_SPREAD, READINESS_GRACE, INIT_EPOCH, INIT_WIPE, INIT_LOCK,
                INIT_LEASE_TTL, INIT_HEARTBEAT, INIT_ATTEMPTS, INIT_TIMEOUT, INIT_IDLE_TIMEOUT, MIGRATIONS, TX_VERIFY_COMMIT,
                POOL_READ_ONLY, RIDE_THROUGH, STALL_BOUND)) {
            vars.put(o.env(), o.defaultRaw());
        }
        return vars;
    }
}
