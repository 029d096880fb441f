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
 * the rule; the rules (cross-field ones included) are checked once, by this record's constructor,
 * however the config is made. The options are grouped by what they configure; the option table is
 * {@code dev.warden.internal.config.Options}. {@link #toString()} never shows the password.
 *
 * @param database the server and the way to it ({@code WARDEN_DB_*}, {@code WARDEN_POOLER},
 *                 {@code WARDEN_INIT_DB_URL}, {@code WARDEN_EMBEDDED_*})
 * @param schemas  the application's schemas and Warden's own ({@code WARDEN_SCHEMAS}, {@code WARDEN_SCHEMA})
 * @param pool     the connection pool ({@code WARDEN_POOL_*})
 * @param tx       transactions' defaults ({@code WARDEN_TX_*}, {@code WARDEN_RETRY_*}, {@code WARDEN_STATEMENT_TIMEOUT})
 * @param monitor  health probes and what an outage does to new work ({@code WARDEN_MONITOR_*},
 *                 {@code WARDEN_RIDE_THROUGH}, {@code WARDEN_STALL_BOUND})
 * @param service  the service's name, start, readiness and shutdown, its management port
 * @param init     exactly-once initialisation: epoch, wipe, lock, migrations ({@code WARDEN_INIT_*},
 *                 {@code WARDEN_MIGRATIONS})
 */
public record WardenConfig(DatabaseSettings database, SchemaSettings schemas, PoolSettings pool, TxSettings tx,
                           MonitorSettings monitor, ServiceSettings service, InitSettings init) {

    /**
     * Checks every rule, cross-field ones included, and lists every problem at once. Credentials in
     * the URL are moved out of it: its password fills an empty password, its user replaces the
     * default {@code postgres}; a different value on both sides is an error.
     */
    public WardenConfig(DatabaseSettings database, SchemaSettings schemas, PoolSettings pool, TxSettings tx,
                        MonitorSettings monitor, ServiceSettings service, InitSettings init) {
        List<String> problems = new ArrayList<>();
        Optional<UrlCredentials> credentials = ConfigRules.split(Objects.requireNonNull(database, "database").url());
        this.database = credentials.map(c -> new DatabaseSettings(Optional.of(c.url()),
                ConfigRules.user(database.user(), !database.user().equals(DB_USER.defaultRaw()), c, problems),
                ConfigRules.password(database.password(), c, problems), database.connectTimeout(),
                database.socketTimeout(), database.initUrl(), database.embedded())).orElse(database);
        this.schemas = Objects.requireNonNull(schemas, "schemas");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.tx = Objects.requireNonNull(tx, "tx");
        this.monitor = Objects.requireNonNull(monitor, "monitor");
        this.service = Objects.requireNonNull(service, "service");
        this.init = Objects.requireNonNull(init, "init");
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
        return new WardenConfig(database, schemas, pool, tx, monitor, service, other);
    }

    /** True when no {@code WARDEN_DB_URL} is set and Warden starts its embedded PostgreSQL. */
    public boolean embedded() {
        return database.url().isEmpty();
    }

    /**
     * True when the pool is meant to read only: {@code WARDEN_POOL_READ_ONLY}, or a URL whose
     * {@code targetServerType} is {@code standby}/{@code secondary} or {@code preferStandby}/
     * {@code preferSecondary}. Such a pool is not judged by whether the server accepts writes.
     */
    public boolean readsOnly() {
        return pool.readOnly() || ConfigText.asksForStandby(database.url().orElse(""));
    }

    /** Shows every option, with the password and any password in the URL masked. */
    @Override
    public String toString() {
        return ConfigText.describe(this);
    }

    /** A group of this config shown as {@link #toString()} shows it (the API's types reach no engine class). */
    static String describe(Record group) {
        return ConfigText.describe(group);
    }

    /**
     * The URL with any {@code password=} parameter (including {@code sslpassword=}) or
     * {@code user:password@} part replaced by {@code ****}. Warden's own URLs carry no password at
     * all (see {@link DatabaseSettings#url()}); this is for URLs as users wrote them.
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
