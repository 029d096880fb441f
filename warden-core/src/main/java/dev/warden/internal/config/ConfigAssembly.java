package dev.warden.internal.config;

import static dev.warden.internal.config.Options.*;

import dev.warden.ConfigException;
import dev.warden.DatabaseSettings;
import dev.warden.MonitorSettings;
import dev.warden.PoolSettings;
import dev.warden.SchemaSettings;
import dev.warden.ServiceSettings;
import dev.warden.TxSettings;
import dev.warden.InitSettings;
import dev.warden.Secret;
import dev.warden.WardenConfig;
import dev.warden.tx.RetryPolicy;
import java.time.Duration;
import java.util.Optional;

/**
 * A {@link WardenConfig} from a builder's {@link Sources}: every option parsed (a value that does not
 * parse is a problem), credentials taken out of the URL with the builder's precedence, then the
 * record's constructor checks every rule. All problems are reported at once, values as written.
 */
public final class ConfigAssembly {

    private ConfigAssembly() {
    }

    /** The configuration, or a {@link ConfigException} listing every problem. */
    public static WardenConfig build(Sources sources) {
        ParsedOptions p = new ParsedOptions(sources::raw);
        Optional<String> url = Optional.of(sources.raw(DB_URL).trim()).filter(u -> !u.isEmpty());
        String user = p.get(DB_USER);
        Secret password = Secret.of(sources.raw(DB_PASSWORD));
        Optional<UrlCredentials> credentials = ConfigRules.split(url);
        if (credentials.isPresent()) {
            url = Optional.of(credentials.get().url());
            user = ConfigRules.user(user, sources.isSet(DB_USER), credentials.get(), p.problems);
            password = ConfigRules.password(password, credentials.get(), p.problems);
        }
        String epoch = p.get(INIT_EPOCH);
        InitSettings init = new InitSettings(epoch.isEmpty() ? Optional.empty() : Optional.of(epoch),
                p.get(INIT_WIPE), new InitSettings.Lock(p.get(INIT_LOCK), p.get(INIT_LEASE_TTL), p.get(INIT_HEARTBEAT)),
                p.get(INIT_ATTEMPTS), p.get(INIT_TIMEOUT), p.get(MIGRATIONS), p.get(INIT_IDLE_TIMEOUT));
        Duration initial = p.checked(RETRY_INITIAL_BACKOFF);
        Duration max = p.checked(RETRY_MAX_BACKOFF);
        if (max.compareTo(initial) < 0) {
            p.problems.add(RETRY_MAX_BACKOFF.env() + " must be at least " + RETRY_INITIAL_BACKOFF.env() + " ("
                    + format(initial) + "), got \"" + sources.raw(RETRY_MAX_BACKOFF) + "\"");
            max = initial;
        }
        // RetryPolicy checks its own values, so its options' rules are checked before it is made.
        RetryPolicy retry = new RetryPolicy(p.checked(RETRY_MAX_ATTEMPTS), initial, max, p.checked(RETRY_MULTIPLIER));
        WardenConfig c = null;
        try {
            c = new WardenConfig(
                    new DatabaseSettings(url, user, password, p.get(CONNECT_TIMEOUT), p.get(SOCKET_TIMEOUT),
                            p.get(INIT_DB_URL), new DatabaseSettings.Embedded(p.get(EMBEDDED_DIR), p.get(EMBEDDED_PORT))),
                    new SchemaSettings(p.get(SCHEMAS), p.get(WARDEN_SCHEMA)),
                    new PoolSettings(p.get(POOL_MAX_SIZE), p.get(POOL_ACQUIRE_TIMEOUT), p.get(POOL_READ_ONLY),
                            p.get(POOL_REFILL_SPREAD), p.get(POOLER)),
                    new TxSettings(retry, p.get(TX_ISOLATION), p.get(STATEMENT_TIMEOUT), p.get(TX_VERIFY_COMMIT),
                            p.get(TX_VERIFY_PATIENCE)),
                    new MonitorSettings(p.get(MONITOR_INTERVAL), p.get(MONITOR_TIMEOUT), p.get(MONITOR_FAILURES),
                            p.get(MONITOR_RECOVERY_INTERVAL), p.get(RIDE_THROUGH), p.get(STALL_BOUND)),
                    new ServiceSettings(p.get(APP_NAME), p.get(STARTUP_TIMEOUT), p.get(READY_WAIT), p.get(DRAIN_TIMEOUT),
                            p.get(READINESS_GRACE), p.get(HTTP_PORT)),
                    init);
        } catch (ConfigException rules) {
            rules.problems().forEach(p::addAsWritten);
        }
        if (p.any()) {
            throw new ConfigException(p.problems);
        }
        return c;
    }
}
