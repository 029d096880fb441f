package dev.warden.internal.config;

import dev.warden.InitSettings;
import dev.warden.tx.Isolation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The option table: every {@code WARDEN_*} variable with its default, rule text, parser and rule.
 * One place drives the environment variables, the system properties, the Spring properties, the
 * validation ({@link ConfigRules}) and the docs ({@link #ALL}).
 */
public final class Options {

    private Options() {
    }

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final String DURATION_FORMAT = "a duration like 250ms, 5s or 2m";

    public static final Opt<String> DB_URL = new Opt<>("WARDEN_DB_URL", "",
            "a JDBC URL starting with jdbc:postgresql://", Function.identity(),
            url -> url.startsWith("jdbc:postgresql://") && url.length() > "jdbc:postgresql://".length());
    public static final Opt<String> DB_USER = new Opt<>("WARDEN_DB_USER", "postgres",
            "a user name of 1 to 63 characters", Function.identity(), u -> !u.isBlank() && u.length() <= 63);
    public static final Opt<String> DB_PASSWORD = new Opt<>("WARDEN_DB_PASSWORD", "",
            "any text", Function.identity(), p -> true);
    public static final Opt<Integer> POOL_MAX_SIZE = intOpt("WARDEN_POOL_MAX_SIZE", 10, 1, 1000);
    public static final Opt<Duration> POOL_ACQUIRE_TIMEOUT =
            durationOpt("WARDEN_POOL_ACQUIRE_TIMEOUT", "5s", Duration.ofMillis(250), Duration.ofMinutes(10), false);
    public static final Opt<Duration> CONNECT_TIMEOUT =
            durationOpt("WARDEN_DB_CONNECT_TIMEOUT", "5s", Duration.ofSeconds(1), Duration.ofHours(1), true);
    public static final Opt<Duration> SOCKET_TIMEOUT =
            durationOpt("WARDEN_DB_SOCKET_TIMEOUT", "60s", Duration.ofSeconds(1), Duration.ofHours(1), true);
    public static final Opt<Duration> STATEMENT_TIMEOUT =
            durationOpt("WARDEN_STATEMENT_TIMEOUT", "0ms", Duration.ZERO, Duration.ofHours(1), false);
    public static final Opt<Duration> STARTUP_TIMEOUT =
            durationOpt("WARDEN_STARTUP_TIMEOUT", "60s", Duration.ofSeconds(1), Duration.ofHours(1), false);
    public static final Opt<Integer> RETRY_MAX_ATTEMPTS = intOpt("WARDEN_RETRY_MAX_ATTEMPTS", 5, 1, 100);
    public static final Opt<Duration> RETRY_INITIAL_BACKOFF =
            durationOpt("WARDEN_RETRY_INITIAL_BACKOFF", "10ms", Duration.ZERO, Duration.ofMinutes(1), false);
    public static final Opt<Duration> RETRY_MAX_BACKOFF =
            durationOpt("WARDEN_RETRY_MAX_BACKOFF", "1s", Duration.ZERO, Duration.ofMinutes(10), false);
    public static final Opt<Double> RETRY_MULTIPLIER = new Opt<>("WARDEN_RETRY_MULTIPLIER", "2.0",
            "a number from 1.0 to 10.0", Double::valueOf, m -> m >= 1.0 && m <= 10.0);
    public static final Opt<Isolation> TX_ISOLATION = new Opt<>("WARDEN_TX_ISOLATION", "DEFAULT",
            "one of " + Arrays.toString(Isolation.values()),
            s -> Isolation.valueOf(s.trim().toUpperCase(Locale.ROOT).replace(' ', '_').replace('-', '_')), i -> true);
    public static final Opt<List<String>> SCHEMAS = new Opt<>("WARDEN_SCHEMAS", "public",
            "a comma-separated list of lower-case SQL identifiers (letters, digits, _; at most 63 characters each)",
            s -> Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).distinct().toList(),
            l -> l.stream().allMatch(x -> IDENTIFIER.matcher(x).matches()));
    public static final Opt<String> WARDEN_SCHEMA = new Opt<>("WARDEN_SCHEMA", "warden",
            "a lower-case SQL identifier (letters, digits, _; at most 63 characters)", String::trim,
            s -> IDENTIFIER.matcher(s).matches());
    public static final Opt<String> APP_NAME = new Opt<>("WARDEN_APP_NAME", "warden",
            "printable ASCII text of 1 to 63 characters", Function.identity(),
            s -> !s.isBlank() && s.length() <= 63 && s.chars().allMatch(c -> c >= 0x20 && c < 0x7f));
    public static final Opt<Path> EMBEDDED_DIR = new Opt<>("WARDEN_EMBEDDED_DIR", ".warden/pgdata",
            "a directory path", Path::of, p -> !p.toString().isBlank());
    public static final Opt<Integer> EMBEDDED_PORT = intOpt("WARDEN_EMBEDDED_PORT", 0, 0, 65535);
    // Two cheap round trips per second per replica: a gone network is found within the interval plus
    // one probe timeout (about 1 s; the fault matrix's bound is 1.5 s), refusals within that plus one
    // recovery interval (docs/health.md).
    public static final Opt<Duration> MONITOR_INTERVAL = new Opt<>("WARDEN_MONITOR_INTERVAL", "500ms",
            "0 (no health monitor) or " + DURATION_FORMAT + ", from 100ms to 1m", Options::parseDuration,
            d -> d.isZero() || (d.compareTo(Duration.ofMillis(100)) >= 0 && d.compareTo(Duration.ofMinutes(1)) <= 0));
    public static final Opt<Duration> MONITOR_TIMEOUT =
            durationOpt("WARDEN_MONITOR_TIMEOUT", "400ms", Duration.ofMillis(100), Duration.ofMinutes(1), false);
    public static final Opt<Integer> MONITOR_FAILURES = intOpt("WARDEN_MONITOR_FAILURES", 2, 1, 100);
    public static final Opt<Duration> MONITOR_RECOVERY_INTERVAL =
            durationOpt("WARDEN_MONITOR_RECOVERY_INTERVAL", "100ms", Duration.ofMillis(10), Duration.ofSeconds(10), false);
    public static final Opt<Duration> READY_WAIT =
            durationOpt("WARDEN_READY_WAIT", "5s", Duration.ZERO, Duration.ofMinutes(10), false);
    // Fits Kubernetes' default 30 s grace period with room for a preStop delay (deploy/k8s: 5 s + 20 s).
    public static final Opt<Duration> DRAIN_TIMEOUT =
            durationOpt("WARDEN_DRAIN_TIMEOUT", "20s", Duration.ZERO, Duration.ofMinutes(10), false);
    public static final Opt<Integer> HTTP_PORT = intOpt("WARDEN_MANAGEMENT_PORT", 9080, 0, 65535);
    // Spread so that replicas recovering together do not reconnect their whole pools in one instant.
    public static final Opt<Duration> POOL_REFILL_SPREAD =
            durationOpt("WARDEN_POOL_REFILL_SPREAD", "2s", Duration.ZERO, Duration.ofMinutes(1), false);
    // ---- issue 21: ride-through and stall bound (docs/health.md, "Readiness, fail-fast and ride-through") ----
    // 15 s: longer than a planned Patroni switchover (2-3 s without a primary), a 5 s PgBouncer PAUSE,
    // a 5 s server stall and a 10 s network blackhole, each with detection and recovery on top (the
    // plain pool serves all of these late, within HikariCP's 30 s acquire timeout); below the 30 s
    // most HTTP clients give up at. Not a Patroni crash failover (ttl + loop_wait: 40 s by default).
    // 0 restores the plain fail-fast.
    public static final Opt<Duration> RIDE_THROUGH =
            durationOpt("WARDEN_RIDE_THROUGH", "15s", Duration.ZERO, Duration.ofMinutes(10), false);
    // 8 s: a 5 s stall (VM pause, storage brownout, paused pooler) plus the probe's own second passes
    // without an abort, and work that was in flight at the stall still ends within the ride-through.
    public static final Opt<Duration> STALL_BOUND =
            durationOpt("WARDEN_STALL_BOUND", "8s", Duration.ofMillis(500), Duration.ofMinutes(10), false);
    // ---- end of issue 21 ----
    public static final Opt<Duration> READINESS_GRACE =
            durationOpt("WARDEN_READINESS_GRACE", "0s", Duration.ZERO, Duration.ofMinutes(5), false);
    public static final Opt<String> INIT_EPOCH = new Opt<>("WARDEN_INIT_EPOCH", "",
            "empty (derive the epoch from migrations, seed version and wipe flag) or 1 to 100 characters of"
                    + " letters, digits and . _ : / + -", String::trim,
            s -> s.isEmpty() || s.matches("[A-Za-z0-9._:/+-]{1,100}"));
    public static final Opt<Boolean> INIT_WIPE = new Opt<>("WARDEN_INIT_WIPE", "false", "true or false",
            Options::parseBoolean, b -> true);
    public static final Opt<InitSettings.LockKind> INIT_LOCK = new Opt<>("WARDEN_INIT_LOCK", "advisory",
            "advisory (a PostgreSQL session advisory lock) or lease (a lease row with heartbeat and expiry)",
            s -> InitSettings.LockKind.valueOf(s.trim().toUpperCase(Locale.ROOT)), k -> true);
    public static final Opt<Duration> INIT_LEASE_TTL =
            durationOpt("WARDEN_INIT_LEASE_TTL", "10s", Duration.ofMillis(500), Duration.ofMinutes(10), false);
    public static final Opt<Duration> INIT_HEARTBEAT =
            durationOpt("WARDEN_INIT_HEARTBEAT", "2s", Duration.ofMillis(100), Duration.ofMinutes(5), false);
    public static final Opt<Integer> INIT_ATTEMPTS = intOpt("WARDEN_INIT_ATTEMPTS", 3, 1, 100);
    public static final Opt<Duration> INIT_TIMEOUT =
            durationOpt("WARDEN_INIT_TIMEOUT", "10m", Duration.ofSeconds(1), Duration.ofHours(24), false);
    public static final Opt<Boolean> TX_VERIFY_COMMIT = new Opt<>("WARDEN_TX_VERIFY_COMMIT", "false", "true or false",
            Options::parseBoolean, b -> true);
    public static final Opt<Boolean> POOL_READ_ONLY = new Opt<>("WARDEN_POOL_READ_ONLY", "false", "true or false",
            Options::parseBoolean, b -> true);
    // --- issue 20 (h20b): verifyCommit's patience ---------------------------------------------------
    // Covers Patroni's failover at its defaults: a crashed leader's key expires after ttl (30 s), a
    // replica takes it within one loop_wait (10 s) and is promoted; 60 s leaves a margin of 20 s.
    public static final Opt<Duration> TX_VERIFY_PATIENCE =
            durationOpt("WARDEN_TX_VERIFY_PATIENCE", "60s", Duration.ofSeconds(1), Duration.ofMinutes(30), false);
    // --- end issue 20 (h20b) -------------------------------------------------------------------------
    // A holder whose host died or was cut off is taken over within about this (plus one poll): the
    // server ends its silent sessions (idle_session_timeout on the lock session, which heartbeats
    // every quarter of it; idle_in_transaction_session_timeout on its work). See docs/init.md.
    public static final Opt<Duration> INIT_IDLE_TIMEOUT =
            durationOpt("WARDEN_INIT_IDLE_TIMEOUT", "10s", Duration.ofSeconds(2), Duration.ofHours(1), false);
    public static final Opt<List<String>> MIGRATIONS = new Opt<>("WARDEN_MIGRATIONS", "",
            "a comma-separated list of Flyway locations such as classpath:db/migration or filesystem:/sql",
            s -> Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).distinct().toList(),
            l -> l.stream().allMatch(x -> x.matches("(classpath:|filesystem:)?[^\\s,]+")));

    // --- issue 20 (pooler awareness): WARDEN_POOLER, WARDEN_INIT_DB_URL ---
    public static final Opt<dev.warden.Pooler> POOLER = new Opt<>("WARDEN_POOLER", "none",
            "none (a direct connection), session (a session-mode pooler) or transaction (a transaction-mode pooler"
                    + " such as PgBouncer pool_mode=transaction)",
            s -> dev.warden.Pooler.valueOf(s.trim().toUpperCase(Locale.ROOT)), k -> true);
    public static final Opt<String> INIT_DB_URL = new Opt<>("WARDEN_INIT_DB_URL", "",
            "a jdbc:postgresql:// URL straight to the server (past the pooler) for the initialisation, or empty",
            String::trim, s -> s.isEmpty() || s.startsWith("jdbc:postgresql:"));
    // --- end issue 20 ---

    /** Every option, in the order of the docs. */
    public static final List<Opt<?>> ALL = List.of(DB_URL, DB_USER, DB_PASSWORD, POOL_MAX_SIZE,
            POOL_ACQUIRE_TIMEOUT, CONNECT_TIMEOUT, SOCKET_TIMEOUT, STATEMENT_TIMEOUT, STARTUP_TIMEOUT,
            RETRY_MAX_ATTEMPTS, RETRY_INITIAL_BACKOFF, RETRY_MAX_BACKOFF, RETRY_MULTIPLIER, TX_ISOLATION, SCHEMAS,
            WARDEN_SCHEMA, APP_NAME, EMBEDDED_DIR, EMBEDDED_PORT, MONITOR_INTERVAL, MONITOR_TIMEOUT, MONITOR_FAILURES,
            MONITOR_RECOVERY_INTERVAL, READY_WAIT, DRAIN_TIMEOUT, HTTP_PORT, POOL_REFILL_SPREAD, READINESS_GRACE,
            INIT_EPOCH, INIT_WIPE, INIT_LOCK, INIT_LEASE_TTL, INIT_HEARTBEAT, INIT_ATTEMPTS, INIT_TIMEOUT,
            INIT_IDLE_TIMEOUT, MIGRATIONS, TX_VERIFY_COMMIT, POOL_READ_ONLY, TX_VERIFY_PATIENCE,
            RIDE_THROUGH, STALL_BOUND, POOLER, INIT_DB_URL);

    /** Every variable with its default. */
    public static Map<String, String> variables() {
        Map<String, String> vars = new LinkedHashMap<>();
        for (Opt<?> o : ALL) {
            vars.put(o.env(), o.defaultRaw());
        }
        return vars;
    }

    /** A value as an error message may show it: a URL masked, a password never. */
    static String shown(String env, String raw) {
        if (env.equals(DB_PASSWORD.env())) {
            return "****";
        }
        return env.equals(DB_URL.env()) ? maskUrl(raw) : raw;
    }

    public static boolean parseBoolean(String raw) {
        return switch (raw.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException(raw);
        };
    }

    // A password parameter runs to the next '&' (pgjdbc's only separator: a ';' is part of the value);
    // a user:password@ part runs to the last '@' before the query, since a password may hold '@' or '/'.
    private static final Pattern URL_SECRET = Pattern.compile("(?i)(password=)[^&]*|(//[^/@:?]*:)[^?]*@");

    /**
     * The URL with any {@code password=} parameter (including {@code sslpassword=}) or
     * {@code user:password@} part replaced by {@code ****}. Warden's own URLs carry no password at
     * all (see {@code WardenConfig.dbUrl()}); this is for URLs as users wrote them.
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

    private static Opt<Integer> intOpt(String env, int def, int min, int max) {
        return new Opt<>(env, String.valueOf(def), "an integer from " + min + " to " + max,
                Integer::valueOf, v -> v >= min && v <= max);
    }

    private static Opt<Duration> durationOpt(String env, String def, Duration min, Duration max, boolean wholeSeconds) {
        String rule = DURATION_FORMAT + (wholeSeconds ? " in whole seconds" : "")
                + ", from " + format(min) + " to " + format(max);
        return new Opt<>(env, def, rule, Options::parseDuration,
                d -> d.compareTo(min) >= 0 && d.compareTo(max) <= 0 && (!wholeSeconds || d.toMillis() % 1000 == 0));
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h)");

    /** Parses {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT5S}). */
    public static Duration parseDuration(String raw) {
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
}
