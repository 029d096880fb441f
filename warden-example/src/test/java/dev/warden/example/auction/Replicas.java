package dev.warden.example.auction;

import static org.awaitility.Awaitility.await;

import dev.warden.testing.ChildJvm;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;

/** Service replicas as real, separate JVM processes on this test's classpath. */
final class Replicas implements AutoCloseable {

    /** One replica process. */
    record Replica(String name, int port, int managementPort, ChildJvm jvm) {
        String url() {
            return "http://127.0.0.1:" + port;
        }

        /** The operator endpoints (/health*, /metrics, /dashboard, /info). */
        String managementUrl() {
            return "http://127.0.0.1:" + managementPort;
        }

        /** Its last 30 lines of output, for a failure message. */
        String tail() {
            List<String> lines = jvm.lines();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        }
    }

    private final List<Replica> replicas = new ArrayList<>();

    /**
     * Starts {@code n} replicas at once (they race for the init), each with {@code env} plus PORT,
     * WARDEN_MANAGEMENT_PORT and REPLICA_NAME; each one's output also goes to {@code logDir/<name>.log}.
     */
    static Replicas start(int n, Map<String, String> env, Path logDir) throws IOException {
        Replicas r = new Replicas();
        Files.createDirectories(logDir);
        for (int i = 1; i <= n; i++) {
            int port = freePort();
            int managementPort = freePort();
            String name = "r" + i;
            Map<String, String> own = new HashMap<>(env);
            own.put("PORT", Integer.toString(port));
            own.put("WARDEN_MANAGEMENT_PORT", Integer.toString(managementPort));
            own.put("REPLICA_NAME", name);
            r.replicas.add(new Replica(name, port, managementPort, ChildJvm.builder(AuctionMain.class)
                    .jvmArgs("-XX:+UseSerialGC").env(own).outputFile(logDir.resolve(name + ".log")).start()));
        }
        return r;
    }

    List<Replica> all() {
        return replicas;
    }

    /** Waits until every replica's /health/ready (management port) answers 200; false on time-out or a dead replica. */
    boolean awaitReady(Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(100))
                    .until(() -> anyDead() || replicas.stream().allMatch(r -> ready(client, r)));
        } catch (ConditionTimeoutException e) {
            return false;
        }
        return !anyDead();
    }

    private boolean anyDead() {
        return replicas.stream().anyMatch(r -> !r.jvm().process().isAlive());
    }

    private static boolean ready(HttpClient client, Replica r) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create(r.managementUrl() + "/health/ready"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException notListeningYet) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** SIGTERM to each, killed if it has not stopped within 10 s. */
    @Override
    public void close() {
        for (Replica r : replicas) {
            r.jvm().stop(Duration.ofSeconds(10));
        }
    }
}
