package dev.warden.example.auction;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Service replicas as real, separate JVM processes on this test's classpath. */
final class Replicas implements AutoCloseable {

    /** One replica process. */
    record Replica(String name, int port, int managementPort, Process process, Path log) {
        String url() {
            return "http://127.0.0.1:" + port;
        }

        /** The operator endpoints (/health*, /metrics, /dashboard, /info). */
        String managementUrl() {
            return "http://127.0.0.1:" + managementPort;
        }
    }

    private final List<Replica> replicas = new ArrayList<>();

    /**
     * Starts {@code n} replicas at once (they race for the init), each with {@code env} plus PORT,
     * WARDEN_MANAGEMENT_PORT and REPLICA_NAME.
     */
    static Replicas start(int n, Map<String, String> env, Path logDir) throws IOException {
        Replicas r = new Replicas();
        Files.createDirectories(logDir);
        String java = ProcessHandle.current().info().command().orElse("java");
        for (int i = 1; i <= n; i++) {
            int port = freePort();
            int managementPort = freePort();
            String name = "r" + i;
            Path log = logDir.resolve(name + ".log");
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), AuctionMain.class.getName());
            pb.environment().putAll(env);
            pb.environment().put("PORT", Integer.toString(port));
            pb.environment().put("WARDEN_MANAGEMENT_PORT", Integer.toString(managementPort));
            pb.environment().put("REPLICA_NAME", name);
            pb.redirectErrorStream(true).redirectOutput(log.toFile());
            r.replicas.add(new Replica(name, port, managementPort, pb.start(), log));
        }
        return r;
    }

    List<Replica> all() {
        return replicas;
    }

    /** Waits until every replica's /health/ready (management port) answers 200; false on time-out or a dead replica. */
    boolean awaitReady(Duration timeout) throws InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Replica r : replicas) {
            while (true) {
                if (!r.process().isAlive()) {
                    return false;
                }
                try {
                    HttpResponse<Void> resp = client.send(HttpRequest.newBuilder(URI.create(r.managementUrl() + "/health/ready"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                    if (resp.statusCode() == 200) {
                        break;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(100);
            }
        }
        return true;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** SIGTERM, then SIGKILL after 10 s. */
    @Override
    public void close() {
        for (Replica r : replicas) {
            r.process().destroy();
        }
        for (Replica r : replicas) {
            try {
                if (!r.process().waitFor(10, TimeUnit.SECONDS)) {
                    r.process().destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                r.process().destroyForcibly();
            }
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(File.separator.equals("/") ? "\n" : "\r\n",
                    lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
