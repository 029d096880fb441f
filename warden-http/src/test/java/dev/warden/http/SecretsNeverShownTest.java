package dev.warden.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.warden.EmbeddedDatabase;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One known password, given in every form Warden accepts (a JDBC {@code password=} parameter with a
 * ';' in the value, a libpq URL, {@code user:password@}, the variable, a system property), is fed
 * through every path that shows text: configuration errors, start-up failures (exception with its
 * causes and stack trace, and every log line written meanwhile), {@code /health}, {@code /dashboard}
 * and {@code /metrics} as served over HTTP, the health report and the configuration's toString(). No
 * output may contain the password or any part of it.
 */
class SecretsNeverShownTest {

    private static final String HEAD = "Kn0wnHead";
    private static final String TAIL = "TailAfterSemicolon";
    private static final String PASSWORD = HEAD + ";" + TAIL;
    private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** Everything shown, by where it was shown. */
    private final Map<String, String> outputs = new LinkedHashMap<>();

    @Test
    void theKnownPasswordAppearsInNoOutput(@TempDir Path dir) throws Exception {
        String encoded = URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8);
        int closed = closedPort();
        String down = "jdbc:postgresql://127.0.0.1:" + closed + "/app";

        // Configuration errors.
        configError("libpq URL", Map.of("WARDEN_DB_URL", "postgres://app:" + PASSWORD + "@db:5432/app"));
        configError("user:password@ in a JDBC URL", Map.of("WARDEN_DB_URL", "jdbc:postgresql://app:" + PASSWORD + "@db/app"));
        configError("password parameter beside another bad value", Map.of("WARDEN_DB_URL", down + "?password=" + PASSWORD,
                "WARDEN_POOL_MAX_SIZE", "0"));
        configError("conflicting passwords", Map.of("WARDEN_DB_URL", down + "?password=" + PASSWORD,
                "WARDEN_DB_PASSWORD", "other-" + PASSWORD));
        withSystemProperty("warden.db.password", PASSWORD, () -> configError("system property beside a bad URL",
                null));

        // Start-up failures: nothing listens there.
        startFailure("unreachable, password parameter with ';'", WardenConfig.builder().environment(Map.of())
                .dbUrl(down + "?password=" + PASSWORD));
        startFailure("unreachable, encoded password parameter", WardenConfig.builder().environment(Map.of())
                .dbUrl(down + "?sslmode=disable&password=" + encoded));
        startFailure("unreachable, variable", WardenConfig.builder().environment(Map.of("WARDEN_DB_URL", down,
                "WARDEN_DB_PASSWORD", PASSWORD)));

        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("pgdata"), 0)) {
            Properties su = new Properties();
            su.setProperty("user", db.user());
            su.setProperty("password", db.password().reveal());
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), su); Statement st = c.createStatement()) {
                st.execute("create role shop login password '" + PASSWORD + "'");
                st.execute("grant create on database postgres to shop");
            }
            // A server that checks passwords, told a wrong one: the known password is the wrong one here.
            startFailure("wrong password", WardenConfig.builder().environment(Map.of())
                    .dbUrl(db.jdbcUrl() + "?user=postgres&password=" + PASSWORD));

            // Running, in each form; the server checks the password, so it really went through.
            running("password parameter with ';'", WardenConfig.builder().environment(Map.of())
                    .dbUrl(db.jdbcUrl() + "?user=shop&password=" + PASSWORD));
            running("encoded password parameter", WardenConfig.builder().environment(Map.of())
                    .dbUrl(db.jdbcUrl() + "?password=" + encoded + "&user=shop"));
            running("variables", WardenConfig.builder().environment(Map.of("WARDEN_DB_URL", db.jdbcUrl(),
                    "WARDEN_DB_USER", "shop", "WARDEN_DB_PASSWORD", PASSWORD)));
            withSystemProperty("warden.db.password", PASSWORD, () -> running("system property",
                    WardenConfig.builder().dbUrl(db.jdbcUrl()).dbUser("shop")));
        }

        assertThat(outputs).hasSizeGreaterThanOrEqualTo(30);
        List<String> leaks = new ArrayList<>();
        outputs.forEach((where, text) -> {
            if (text.contains(HEAD) || text.contains(TAIL)) {
                leaks.add(where);
            }
        });
        assertThat(leaks).as("outputs that show the password").isEmpty();
    }

    private void configError(String name, Map<String, String> env) {
        Throwable e = catchThrowable(() -> (env == null ? WardenConfig.builder().dbUrl("postgres://db/app")
                : WardenConfig.builder().environment(env)).build());
        assertThat(e).as(name).isNotNull();
        outputs.put("config error: " + name, trace(e));
    }

    private void startFailure(String name, WardenConfig.Builder builder) {
        WardenConfig config = builder.startupTimeout(Duration.ofSeconds(1)).connectTimeout(Duration.ofSeconds(1))
                .poolAcquireTimeout(Duration.ofMillis(250)).build();
        outputs.put("config toString: " + name, config.toString());
        String logs = capturingLogs(() -> {
            Warden warden = Warden.create(config);
            Throwable e = catchThrowable(warden::start);
            assertThat(e).as(name).isNotNull();
            outputs.put("start-up failure: " + name, trace(e));
            outputs.put("health after the failure: " + name, warden.health().toString());
            warden.close();
            return null;
        });
        outputs.put("logs of the failed start: " + name, logs);
    }

    private void running(String name, WardenConfig.Builder builder) {
        WardenConfig config = builder.poolMaxSize(2).build();
        outputs.put("config toString: " + name, config.toString());
        String logs = capturingLogs(() -> {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            try (Warden warden = Warden.builder().config(config).meterRegistry(registry).build().start();
                 WardenHttp http = WardenHttp.start(warden, 0)) {
                assertThat(warden.user()).as(name).isEqualTo("shop");
                warden.inTransaction(tx -> 1);
                outputs.put("health report: " + name, warden.health().toString());
                for (String path : List.of("/health", "/health/ready", "/health/startup", "/dashboard", "/metrics")) {
                    HttpResponse<String> r = get(http.port(), path);
                    assertThat(r.statusCode()).as(name + " " + path).isEqualTo(200);
                    outputs.put(path + ": " + name, r.body());
                }
                assertThat(outputs.get("/health: " + name)).contains("\"user\":\"shop\"");
            }
            return null;
        });
        outputs.put("logs while running: " + name, logs);
    }

    private static HttpResponse<String> get(int port, String path) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code work} with System.err captured (slf4j-simple writes every log line there). */
    private static String capturingLogs(Supplier<Void> work) {
        PrintStream before = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            work.get();
        } finally {
            System.setErr(before);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        before.print(logs);
        return logs;
    }

    private static void withSystemProperty(String key, String value, Runnable work) {
        String old = System.getProperty(key);
        System.setProperty(key, value);
        try {
            work.run();
        } finally {
            if (old == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, old);
            }
        }
    }

    private static String trace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
