package dev.warden.example.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.testing.ChildJvm;
import dev.warden.testing.PostgresExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three application JVMs (real, separate processes) started at once on one empty database: exactly
 * one runs the migrations and the seeder; all three become ready.
 */
class ThreeReplicasInitOnceTest {

    /** A server of this class's own: the shared one already holds the bank of the other tests' context. */
    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.throwaway(Map.of("fsync", "off", "synchronous_commit", "off"));

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    record Replica(int port, ChildJvm jvm) {
    }

    @Test
    void threeJvmsStartedAtOnceInitialiseExactlyOnce() throws Exception {
        Path logs = Path.of("target", "replicas");
        Files.createDirectories(logs);
        List<Replica> replicas = new ArrayList<>();
        try {
            for (int i = 1; i <= 3; i++) {
                int port = freePort();
                replicas.add(new Replica(port, ChildJvm.builder(BankApplication.class)
                        .jvmArgs("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
                        .args("--server.port=" + port, "--spring.datasource.url=" + pg.jdbcUrl())
                        .outputFile(logs.resolve("replica-" + i + ".log")).start()));
            }
            int initialisedHere = 0;
            for (Replica r : replicas) {
                String body = awaitReady(r, Duration.ofSeconds(120));
                if (body.contains("\"initializedHere\":true")) {
                    initialisedHere++;
                }
            }
            assertThat(initialisedHere).as("replicas that ran the initialisation").isEqualTo(1);
            assertThat(pg.queryLong("select count(*) from bank.account")).as("seeded once, not three times")
                    .isEqualTo(3);
            assertThat(pg.queryLong("select count(*) from bank.flyway_schema_history where type = 'SQL' and success"))
                    .as("V1 applied once").isEqualTo(1);
            assertThat(pg.queryLong("select count(*) from warden.init_epochs where status = 'COMPLETED'")).isEqualTo(1);
        } finally {
            stop(replicas); // before the database, so that no replica goes DEGRADED on the way out
        }
    }

    /** SIGTERM to each, killed if it has not stopped within 15 s. */
    private static void stop(List<Replica> replicas) {
        for (Replica r : replicas) {
            r.jvm().stop(Duration.ofSeconds(15));
        }
    }

    /** Polls the replica's readiness until 200 and returns its warden health details. */
    private static String awaitReady(Replica r, Duration timeout) throws Exception {
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(200))
                    .until(() -> !r.jvm().process().isAlive() || readinessStatus(r) == 200);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("replica on port " + r.port() + " not ready in " + timeout + ":\n" + r.jvm().output());
        }
        if (!r.jvm().process().isAlive()) {
            throw new AssertionError("replica on port " + r.port() + " died:\n" + r.jvm().output());
        }
        return get(r.port(), "/actuator/health/warden").body();
    }

    private static int readinessStatus(Replica r) throws InterruptedException {
        try {
            return get(r.port(), "/actuator/health/readiness").statusCode();
        } catch (IOException notListeningYet) {
            return -1;
        }
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
