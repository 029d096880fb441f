package dev.warden.drill.rolling;

import dev.warden.example.auction.AuctionMain;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One replica of the auction service as its own JVM (as {@code warden demo} runs them): its API
 * port, the port its probes answer on, and the process, which can be stopped with SIGTERM and
 * started again on the same ports.
 */
final class ReplicaProcess {

    final String name;
    final int port;
    /** Where the probes answer: the service's management port ({@code WARDEN_MANAGEMENT_PORT}). */
    final int probePort;
    private final Map<String, String> env;
    private final Path log;
    private volatile Process process;

    ReplicaProcess(String name, int port, int probePort, Map<String, String> env, Path log) {
        this.name = name;
        this.port = port;
        this.probePort = probePort;
        this.env = Map.copyOf(env);
        this.log = log;
    }

    /** The readiness probe's URL: the one place that knows where readiness is served. */
    URI readinessUrl() {
        return URI.create("http://127.0.0.1:" + probePort + "/health/ready");
    }

    URI api(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /**
     * Starts the JVM (its output appended to the log), with the C1 compiler only: each restart is a
     * JVM start, which C1 makes sooner; the drill's light load does not miss C2's peak speed.
     */
    synchronized void start() throws IOException {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                AuctionMain.class.getName());
        pb.environment().putAll(env);
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().put("WARDEN_MANAGEMENT_PORT", Integer.toString(probePort));
        pb.environment().put("REPLICA_NAME", name);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = pb.start();
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** Sends SIGTERM, as Kubernetes does; the replica drains and exits on its own. */
    void terminate() {
        process.destroy();
    }

    /** Waits for the process to exit; true when it did within {@code seconds}. */
    boolean awaitExit(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    /** SIGTERM, then SIGKILL after 10 s: for clean-up only. */
    void stop() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    Path log() {
        return log;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
