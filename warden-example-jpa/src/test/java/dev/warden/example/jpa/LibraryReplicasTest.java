package dev.warden.example.jpa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.testing.ChildJvm;
import dev.warden.testing.ThrowawayDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Three JVMs of the JPA library (real, separate processes: {@link ChildJvm}) started at once on one
 * empty database: Hibernate starts in each without waiting for the database, exactly one runs the
 * Flyway migration and the seeder, all three become ready and serve the seeded books.
 */
class LibraryReplicasTest {

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    record Replica(int port, ChildJvm jvm) {
    }

    @Test
    void threeJvmsStartedAtOnceInitialiseExactlyOnce() throws Exception {
        List<Replica> replicas = new ArrayList<>();
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-jpa-replicas", Map.of("fsync", "off"))) {
            try {
                for (int i = 1; i <= 3; i++) {
                    int port = freePort();
                    replicas.add(new Replica(port, ChildJvm.builder(LibraryApplication.class)
                            .jvmArgs("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
                            .args("--server.port=" + port, "--spring.datasource.url=" + db.jdbcUrl(),
                                    "--warden.ready-wait=60s")
                            .start()));
                }
                int initialisedHere = 0;
                for (Replica r : replicas) {
                    await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250))
                            .failFast("replica on port " + r.port() + " exited", () -> !r.jvm().process().isAlive())
                            .until(() -> status(r.port(), "/actuator/health/readiness") == 200);
                    if (body(r.port(), "/actuator/health/warden").contains("\"initializedHere\":true")) {
                        initialisedHere++;
                    }
                    assertThat(body(r.port(), "/books/Dune")).as("served through JPA").contains("\"copies\":2");
                }
                assertThat(initialisedHere).as("replicas that ran the initialisation").isEqualTo(1);
                try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", "");
                     Statement st = c.createStatement()) {
                    assertThat(count(st, "select count(*) from book")).as("seeded once, not three times").isEqualTo(2);
                    assertThat(count(st, "select count(*) from flyway_schema_history where type = 'SQL' and success"))
                            .as("V1 applied once").isEqualTo(1);
                    assertThat(count(st, "select count(*) from warden.init_epochs where status = 'COMPLETED'")).isEqualTo(1);
                }
            } catch (AssertionError | RuntimeException e) {
                for (Replica r : replicas) {
                    System.out.println("--- replica on port " + r.port() + "\n" + tail(r.jvm()));
                }
                throw e;
            } finally {
                for (Replica r : replicas) {
                    r.jvm().close(); // before the database, so that no replica goes DEGRADED on the way out
                }
            }
        }
    }

    private static int status(int port, String path) {
        try {
            return get(port, path).statusCode();
        } catch (IOException notListeningYet) {
            return -1;
        }
    }

    private static String body(int port, String path) throws IOException {
        return get(port, path).body();
    }

    private static HttpResponse<String> get(int port, String path) throws IOException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
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

    private static String tail(ChildJvm jvm) {
        List<String> lines = jvm.lines();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
