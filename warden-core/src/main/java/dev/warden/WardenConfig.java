package dev.warden;

import static dev.warden.internal.config.Options.*;

import dev.warden.internal.config.ConfigAssembly;
import dev.warden.internal.config.ConfigRules;
import dev.warden.internal.config.ConfigText;
import dev.warden.internal.config.Opt;
import dev.warden.internal.config.Options;
import dev.warden.internal.config.Sources;
import dev.warden.internal.config.UrlCredentials;
import dev.warden.tx.Isolation;
import dev.warden.tx.RetryPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * Everything Warden needs to know, validated once. Build it with {@link #builder()}: each option
 * comes from, in order of precedence, an explicit builder call, a system property
 * ({@code warden.pool.max.size}), an environment variable ({@code WARDEN_POOL_MAX_SIZE}) or the
 * default. A bad value fails with a {@link ConfigException} that names the variable, the value and
 * the rule; the rules (cross-field ones included) are checked once, by the constructor, however the
 * config is made. The option table is {@code dev.warden.internal.config.Options}. {@link #toString()} never shows the password.
 *
 * @param dbUrl              JDBC URL ({@code WARDEN_DB_URL}) without its {@code user} and {@code password}
 *                           parameters (moved to {@code dbUser} and {@code dbPassword}); empty: the embedded PostgreSQL
 * @param dbUser             database user ({@code WARDEN_DB_USER}, else the URL's {@code user}, else {@code postgres})
 * @param dbPassword         database password ({@code WARDEN_DB_PASSWORD}, else the URL's {@code password}); never shown
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
 * @param txVerifyPatience   how long a transaction whose COMMIT was lost keeps asking what became of it
 *                           before its caller gets {@code CommitOutcomeUnknownException}
 *                           ({@code WARDEN_TX_VERIFY_PATIENCE}, 60 s: Patroni's failover at its default
 *                           ttl and loop_wait fits in it)
 * @param rideThrough        how long new work waits for an unavailable database to come back, counted from
 *                           the start of the unavailability, before failing fast ({@code WARDEN_RIDE_THROUGH})
 * @param stallBound         how long a server whose host answers TCP but which answers no query (stopped,
 *                           starved, a paused pooler) stays READY with its work kept ({@code WARDEN_STALL_BOUND})
 * @param pooler             what stands between Warden and the server ({@code WARDEN_POOLER}): none, a
 *                           session-mode or a transaction-mode pooler; see {@link Pooler} and docs/poolers.md
 * @param initDbUrl          a URL straight to the server, past the pooler, for the initialisation only
 *                           ({@code WARDEN_INIT_DB_URL}); empty: the initialisation uses {@code dbUrl}
 */
public record WardenConfig(
        Optional<String> dbUrl, String dbUser, Secret dbPassword,
        int poolMaxSize, Duration poolAcquireTimeout, Duration connectTimeout, Duration socketTimeout,
        Duration statementTimeout, Duration startupTimeout, RetryPolicy retry, Isolation isolation,
        List<String> schemas, String wardenSchema, String applicationName, Path embeddedDir, int embeddedPort,
        Duration monitorInterval, Duration monitorTimeout, int monitorFailures, Duration monitorRecoveryInterval,
        Duration readyWait, Duration drainTimeout, int httpPort, Duration poolRefillSpread, Duration readinessGrace,
        InitSettings init, boolean txVerifyCommit, boolean poolReadOnly, Duration txVerifyPatience,
        Duration rideThrough, Duration stallBound, Pooler pooler, String initDbUrl) {

    /**
     * Checks every rule, cross-field ones included, and lists every problem at once. Credentials in
     * the URL are moved out of it: its password fills an empty {@code dbPassword}, its user replaces
     * the default {@code postgres}; a different value on both sides is an error.
     */
    public WardenConfig(Optional<String> dbUrl, String dbUser, Secret dbPassword, int poolMaxSize,
                        Duration poolAcquireTimeout, Duration connectTimeout, Duration socketTimeout,
                        Duration statementTimeout, Duration startupTimeout, RetryPolicy retry, Isolation isolation,
                        List<String> schemas, String wardenSchema, String applicationName, Path embeddedDir,
                        int embeddedPort, Duration monitorInterval, Duration monitorTimeout, int monitorFailures,
                        Duration monitorRecoveryInterval, Duration readyWait, Duration drainTimeout, int httpPort,
                        Duration poolRefillSpread, Duration readinessGrace, InitSettings init,
                        boolean txVerifyCommit, boolean poolReadOnly, Duration txVerifyPatience,
                        Duration rideThrough, Duration stallBound, Pooler pooler, String initDbUrl) {
        List<String> problems = new ArrayList<>();
        Optional<UrlCredentials> credentials = ConfigRules.split(Objects.requireNonNull(dbUrl, "dbUrl"));
        this.dbUrl = credentials.map(c -> Optional.of(c.url())).orElse(dbUrl);
        this.dbUser = credentials.map(c -> ConfigRules.user(dbUser, !dbUser.equals(DB_USER.defaultRaw()), c, problems))
                .orElse(Objects.requireNonNull(dbUser, "dbUser"));
        this.dbPassword = credentials.map(c -> ConfigRules.password(dbPassword, c, problems))
                .orElse(Objects.requireNonNull(dbPassword, "dbPassword"));
        this.schemas = List.copyOf(schemas);
        this.poolMaxSize = poolMaxSize;
        this.poolAcquireTimeout = Objects.requireNonNull(poolAcquireTimeout, "poolAcquireTimeout");
        this.connectTimeout = connectTimeout;
        this.socketTimeout = socketTimeout;
        this.statementTimeout = statementTimeout;
        this.startupTimeout = startupTimeout;
        this.retry = Objects.requireNonNull(retry, "retry");
        this.isolation = Objects.requireNonNull(isolation, "isolation");
        this.wardenSchema = wardenSchema;
        this.applicationName = applicationName;
        this.embeddedDir = Objects.requireNonNull(embeddedDir, "embeddedDir");
        this.embeddedPort = embeddedPort;
        this.monitorInterval = monitorInterval;
        this.monitorTimeout = monitorTimeout;
        this.monitorFailures = monitorFailures;
        this.monitorRecoveryInterval = monitorRecoveryInterval;
        this.readyWait = readyWait;
        this.drainTimeout = drainTimeout;
        this.httpPort = httpPort;
        this.poolRefillSpread = poolRefillSpread;
        this.readinessGrace = readinessGrace;
        this.init = Objects.requireNonNull(init, "init");
        this.txVerifyCommit = txVerifyCommit;
        this.poolReadOnly = poolReadOnly;
        this.txVerifyPatience = txVerifyPatience;
        this.rideThrough = Objects.requireNonNull(rideThrough, "rideThrough");
        this.stallBound = Objects.requireNonNull(stallBound, "stallBound");
        this.pooler = Objects.requireNonNull(pooler, "pooler");
        this.initDbUrl = Objects.requireNonNull(initDbUrl, "initDbUrl");
        ConfigRules.check(this, problems);
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
        return new WardenConfig(dbUrl, dbUser, dbPassword, poolMaxSize, poolAcquireTimeout, connectTimeout, socketTimeout, statementTimeout, startupTimeout, retry, isolation, schemas, wardenSchema, applicationName, embeddedDir, embeddedPort, monitorInterval, monitorTimeout, monitorFailures, monitorRecoveryInterval, readyWait, drainTimeout, httpPort, poolRefillSpread, readinessGrace, other, txVerifyCommit, poolReadOnly, txVerifyPatience,
                rideThrough, stallBound, pooler, initDbUrl);
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
        return poolReadOnly || ConfigText.asksForStandby(dbUrl.orElse(""));
    }

    /** Shows every option, with the password and any password in the URL masked. */
    @Override
    public String toString() {
        return ConfigText.describe(this);
    }

    /**
     * The URL with any {@code password=} parameter (including {@code sslpassword=}) or
     * {@code user:password@} part replaced by {@code ****}. Warden's own URLs carry no password at
     * all (see {@link #dbUrl()}); this is for URLs as users wrote them.
     */
    public static String maskUrl(String url) {
        return Options.maskUrl(url);
    }

    /** Formats a duration the way the variables are written: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}. */
    public static String format(Duration d) {
        return Options.format(d);
    }

    /** Every variable Warden reads, with its default: for documentation and {@code --help} output. */
    public static Map<String, String> variables() {
        return Options.variables();
    }

    /**
     * Collects options. Typed setters win over system properties, which win over environment
     * variables, which win over defaults. Nothing is checked until {@link #build()}, which reports
     * every bad value at once.
     */
    public static final class Builder {
        private Sources sources;

        private Builder(Map<String, String> env, Properties properties) {
            this.sources = new Sources(env, properties);
        }

        /**
         * Reads unset options from this map of variables instead of the process environment, and
         * ignores system properties. For tests and for configuration held elsewhere.
         */
        public Builder environment(Map<String, String> variables) {
            sources = sources.withEnvironment(variables);
            return this;
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
            sources.defaults(variables);
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
        /** {@code WARDEN_TX_VERIFY_PATIENCE}: how long a lost COMMIT's outcome is asked for. */
        public Builder txVerifyPatience(Duration d) { return set(TX_VERIFY_PATIENCE, format(d)); }
        public Builder pooler(Pooler pooler) { return set(POOLER, pooler.name()); }
        public Builder initDbUrl(String jdbcUrl) { return set(INIT_DB_URL, jdbcUrl); }

        private Builder set(Opt<?> opt, String raw) {
            sources.set(opt, raw);
            return this;
        }

        /**
         * Parses every option and returns the configuration, whose constructor checks the rules.
         *
         * @throws ConfigException naming each bad variable, its value as written and the rule it broke
         */
        public WardenConfig build() {
            return ConfigAssembly.build(sources);
        }
    }
}
