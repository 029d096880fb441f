package dev.warden.internal.config;

import static dev.warden.internal.config.Options.*;

import dev.warden.InitSettings;
import dev.warden.Secret;
import dev.warden.WardenConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every rule a {@link WardenConfig} obeys, single values and cross-field rules alike, checked once by
 * the record's constructor however the config was made (builder, {@code new}, {@code withInit}). The
 * retry policy's count and multiplier are {@code RetryPolicy}'s own rules (it checks itself); its
 * backoffs' bounds are Warden's and checked here.
 */
public final class ConfigRules {

    private ConfigRules() {
    }

    /** Adds a problem for every rule that {@code c} breaks. */
    public static void check(WardenConfig c, List<String> problems) {
        c.database().url().ifPresent(url -> urlProblems(url, problems));
        DB_USER.check(c.database().user(), c.database().user(), problems);
        POOL_MAX_SIZE.check(c.pool().maxSize(), String.valueOf(c.pool().maxSize()), problems);
        check(POOL_ACQUIRE_TIMEOUT, c.pool().acquireTimeout(), problems);
        check(CONNECT_TIMEOUT, c.database().connectTimeout(), problems);
        check(SOCKET_TIMEOUT, c.database().socketTimeout(), problems);
        check(STATEMENT_TIMEOUT, c.tx().statementTimeout(), problems);
        check(STARTUP_TIMEOUT, c.service().startupTimeout(), problems);
        check(RETRY_INITIAL_BACKOFF, c.tx().retry().initialBackoff(), problems);
        check(RETRY_MAX_BACKOFF, c.tx().retry().maxBackoff(), problems);
        schemaProblems(c.schemas().application(), c.schemas().warden(), problems);
        APP_NAME.check(c.service().applicationName(), c.service().applicationName(), problems);
        EMBEDDED_DIR.check(c.database().embedded().dir(), c.database().embedded().dir().toString(), problems);
        EMBEDDED_PORT.check(c.database().embedded().port(), String.valueOf(c.database().embedded().port()), problems);
        check(MONITOR_INTERVAL, c.monitor().interval(), problems);
        check(MONITOR_TIMEOUT, c.monitor().timeout(), problems);
        MONITOR_FAILURES.check(c.monitor().failures(), String.valueOf(c.monitor().failures()), problems);
        check(MONITOR_RECOVERY_INTERVAL, c.monitor().recoveryInterval(), problems);
        check(READY_WAIT, c.service().readyWait(), problems);
        check(DRAIN_TIMEOUT, c.service().drainTimeout(), problems);
        HTTP_PORT.check(c.service().httpPort(), String.valueOf(c.service().httpPort()), problems);
        check(POOL_REFILL_SPREAD, c.pool().refillSpread(), problems);
        check(READINESS_GRACE, c.service().readinessGrace(), problems);
        check(TX_VERIFY_PATIENCE, c.tx().verifyPatience(), problems); // issue 20 (h20b)
        check(RIDE_THROUGH, c.monitor().rideThrough(), problems); // issue 21
        check(STALL_BOUND, c.monitor().stallBound(), problems); // issue 21
        initProblems(c.init(), problems);
        crossFieldProblems(c, problems);
        poolerProblems(c, problems);
    }

    /**
     * Issue 20: behind a transaction-mode pooler a session's state may reach another client, so a
     * session advisory lock means nothing and a server-side prepared statement may run as another
     * one (a COMMIT bound to a name that is a ROLLBACK on the next server connection).
     */
    private static void poolerProblems(WardenConfig c, List<String> problems) {
        if (!INIT_DB_URL.valid().test(c.database().initUrl())) {
            problems.add(INIT_DB_URL.problem(maskUrl(c.database().initUrl())));
        }
        if (!c.pool().pooler().sharesSessions()) {
            return;
        }
        if (c.embedded()) {
            problems.add(POOLER.env() + "=transaction needs " + DB_URL.env() + " (the pooler's address): the embedded"
                    + " PostgreSQL has no pooler in front of it");
        }
        c.database().url().flatMap(ConfigRules::prepareThreshold).filter(t -> !t.equals("0")).ifPresent(t -> problems.add(
                DB_URL.env() + " sets prepareThreshold=" + t + " but " + POOLER.env() + "=transaction needs"
                        + " prepareThreshold=0: a server-side prepared statement made on one server connection is"
                        + " run on another behind a transaction-mode pooler (remove the parameter: Warden sets 0)"));
        if (c.database().initUrl().isEmpty() && !c.init().migrations().isEmpty()) {
            // Issue 22: whatever the init lock, Flyway relies on session state.
            problems.add(MIGRATIONS.env() + " behind a transaction-mode pooler (" + POOLER.env() + "=transaction) needs "
                    + INIT_DB_URL.env() + ", a URL straight to the server for the initialisation: Flyway holds its"
                    + " own lock on its session (pg_advisory_lock) and a migration's SET statements are session"
                    + " settings; through the pooler both stay on a server connection that other clients get next"
                    + " (a lock left there blocks the next migration, a setting reaches other clients), and the"
                    + " pooler refuses the start-up options of Warden's migration connections. The lease lock does"
                    + " not change this");
        } else if (c.init().lock().kind() == dev.warden.InitSettings.LockKind.ADVISORY && c.database().initUrl().isEmpty()
                && (c.init().wipe() || c.init().epoch().isPresent())) {
            problems.add(INIT_LOCK.env() + "=advisory cannot be trusted behind a transaction-mode pooler ("
                    + POOLER.env() + "=transaction): a session advisory lock is held by a server connection other"
                    + " clients share. Set " + INIT_DB_URL.env() + " to a URL straight to the server (recommended),"
                    + " or " + INIT_LOCK.env() + "=lease");
        }
    }

    /** The value of a {@code prepareThreshold} parameter in a JDBC URL, if any. */
    public static java.util.Optional<String> prepareThreshold(String url) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[?&]prepareThreshold=([^&]*)",
                java.util.regex.Pattern.CASE_INSENSITIVE).matcher(url);
        return m.find() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
    }

    private static void check(Opt<Duration> opt, Duration value, List<String> problems) {
        opt.check(value, value == null ? "" : format(value), problems);
    }

    private static void schemaProblems(List<String> schemas, String wardenSchema, List<String> problems) {
        if (!SCHEMAS.valid().test(schemas)) {
            problems.add(SCHEMAS.problem(String.join(",", schemas)));
        }
        WARDEN_SCHEMA.check(wardenSchema, wardenSchema, problems);
        if (schemas.isEmpty()) {
            problems.add(SCHEMAS.env() + " must name at least one schema, got \"\"");
        }
        if (schemas.contains(wardenSchema)) {
            problems.add(WARDEN_SCHEMA.env() + " must not be one of the application schemas in " + SCHEMAS.env()
                    + " (a wipe would delete Warden's own records), got \"" + wardenSchema + "\"");
        }
    }

    private static void initProblems(InitSettings init, List<String> problems) {
        init.epoch().ifPresent(e -> INIT_EPOCH.check(e, e, problems));
        InitSettings.Lock lock = init.lock();
        check(INIT_LEASE_TTL, lock.leaseTtl(), problems);
        check(INIT_HEARTBEAT, lock.heartbeat(), problems);
        INIT_ATTEMPTS.check(init.attempts(), String.valueOf(init.attempts()), problems);
        check(INIT_TIMEOUT, init.timeout(), problems);
        check(INIT_IDLE_TIMEOUT, init.idleTimeout(), problems);
        MIGRATIONS.check(init.migrations(), String.join(",", init.migrations()), problems);
        if (INIT_LEASE_TTL.valid().test(lock.leaseTtl()) && INIT_HEARTBEAT.valid().test(lock.heartbeat())
                && lock.heartbeat().multipliedBy(2).compareTo(lock.leaseTtl()) > 0) {
            problems.add(INIT_HEARTBEAT.env() + " must be at most half of " + INIT_LEASE_TTL.env() + " ("
                    + format(lock.leaseTtl()) + ") so that one late heartbeat does not lose the lease, got \""
                    + format(lock.heartbeat()) + "\"");
        }
    }

    private static void crossFieldProblems(WardenConfig c, List<String> problems) {
        Duration statement = c.tx().statementTimeout();
        // a value that broke its own rule is reported once, not again by a rule that compares it
        if (STATEMENT_TIMEOUT.valid().test(statement) && SOCKET_TIMEOUT.valid().test(c.database().socketTimeout())
                && !statement.isZero() && statement.compareTo(c.database().socketTimeout()) >= 0) {
            problems.add(STATEMENT_TIMEOUT.env() + " must be shorter than " + SOCKET_TIMEOUT.env() + " ("
                    + format(c.database().socketTimeout())
                    + ") so that the server, not the socket, ends a slow statement, got \""
                    + format(statement) + "\"");
        }
    }

    /** WARDEN_DB_URL's rules, with a hint for the forms people write by mistake. */
    public static void urlProblems(String url, List<String> problems) {
        if (!DB_URL.valid().test(url)) {
            String hint = url.matches("(?i)postgres(ql)?://.*")
                    ? " (this is a libpq URL: write jdbc:postgresql://host:port/database and give the user and"
                    + " password in " + DB_USER.env() + " and " + DB_PASSWORD.env() + ")" : "";
            problems.add(DB_URL.problem(url) + hint);
        } else if (url.matches("jdbc:postgresql://[^/?]*@.*")) {
            problems.add(DB_URL.env() + " must not hold user:password@ (pgjdbc does not read it), got \""
                    + maskUrl(url) + "\": give them as ?user=…&password=… or in " + DB_USER.env() + " and "
                    + DB_PASSWORD.env());
        }
    }

    /**
     * The user to connect as: {@code value} when {@code set}, else the URL's user, else {@code value};
     * set and different from the URL's is a problem.
     */
    public static String user(String value, boolean set, UrlCredentials url, List<String> problems) {
        if (url.user().isEmpty()) {
            return value;
        }
        String fromUrl = url.user().get();
        if (set && !fromUrl.equals(value)) {
            problems.add(DB_USER.env() + " (\"" + value + "\") and the user in " + DB_URL.env() + " (\"" + fromUrl
                    + "\") differ: set only one of them, or the same user in both");
            return value;
        }
        return fromUrl;
    }

    /** The password: {@code value}, else the URL's; both set and different is a problem that shows neither. */
    public static Secret password(Secret value, UrlCredentials url, List<String> problems) {
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

    /** The URL without credentials, when it is one that can be split. */
    public static Optional<UrlCredentials> split(Optional<String> url) {
        return url.filter(u -> DB_URL.valid().test(u)).map(UrlCredentials::of);
    }
}
