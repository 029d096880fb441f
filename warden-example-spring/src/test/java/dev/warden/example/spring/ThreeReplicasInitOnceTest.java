package dev.warden.example.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.testing.ThrowawayDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Three application JVMs (real, separate processes) started at once on one empty database: exactly
 * one runs the migrations and the seeder; all three become ready.
 */
class ThreeReplicasInitOnceTest {

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    record Replica(int port, Process process, Path log) {
    }

    @Test
    void threeJvmsStartedAtOnceInitialiseExactlyOnce() throws Exception {
        Path logs = Path.of("target", "replicas");
        Files.createDirectories(logs);
        List<Replica> replicas = new ArrayList<>();
        try (ThrowawayDatabase db = TestDb.start("warden-spring-replicas")) {
            try {
                String java = ProcessHandle.current().info().command().orElse("java");
                for (int i = 1; i <= 3; i++) {
                    int port = freePort();
                    Path log = logs.resolve("replica-" + i + ".log");
                    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                            "-cp", System.getProperty("java.class.path"), BankApplication.class.getName(),
                            "--server.port=" + port, "--spring.datasource.url=" + db.jdbcUrl());
                    pb.redirectErrorStream(true).redirectOutput(log.toFile());
                    replicas.add(new Replica(port, pb.start(), log));
                }
                int initialisedHere = 0;
                for (Replica r : replicas) {
                    String body = awaitReady(r, Duration.ofSeconds(120));
                    if (body.contains("\"initializedHere\":true")) {
                        initialisedHere++;
                    }
                }
                assertThat(initialisedHere).as("replicas that ran the initialisation").isEqualTo(1);
                try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
                     Statement st = c.createStatement()) {
                    assertThat(count(st, "select count(*) from bank.account")).as("seeded once, not three times")
                            .isEqualTo(3);
                    assertThat(count(st, "select count(*) from bank.flyway_schema_history where type = 'SQL' and success"))
                            .as("V1 applied once").isEqualTo(1);
                    assertThat(count(st, "select count(*) from warden.init_epochs where status = 'COMPLETED'")).isEqualTo(1);
                }
            } finally {
                stop(replicas); // before the database, so that no replica goes DEGRADED on the way out
            }
        }
    }

    private static void stop(List<Replica> replicas) throws InterruptedException {
        for (Replica r : replicas) {
            r.process().destroy();
        }
        for (Replica r : replicas) {
            if (!r.process().waitFor(15, TimeUnit.SECONDS)) {
                r.process().destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Polls the replica's readiness until 200 and returns its warden health details. */
    private static String awaitReady(Replica r, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!r.process().isAlive()) {
                throw new AssertionError("replica on port " + r.port() + " died:\n" + tail(r.log()));
            }
            try {
                if (get(r.port(), "/actuator/health/readiness").statusCode() == 200) {
                    return get(r.port(), "/actuator/health/warden").body();
                }
            } catch (IOException notListeningYet) {
                // starting
            }
            Thread.sleep(200);
        }
        throw new AssertionError("replica on port " + r.port() + " not ready in " + timeout + ":\n" + tail(r.log()));
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long count(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
