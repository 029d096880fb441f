package dev.warden.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/** One etcd (v3 API) on free loopback ports, its data and log in a {@link PatroniCluster}'s directory. */
final class Etcd implements AutoCloseable {

    private final int port;
    private final Process process;

    private Etcd(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    /** Starts etcd with its data in {@code base/etcd} and its log in {@code base/etcd.log}; returns once it is healthy. */
    static Etcd start(Path base, PatroniRest rest) throws IOException {
        int port = Loopback.freePort();
        int peerPort = Loopback.freePort();
        Process process = new ProcessBuilder("etcd", "--name", "etcd0", "--data-dir", base.resolve("etcd").toString(),
                "--listen-client-urls", "http://127.0.0.1:" + port,
                "--advertise-client-urls", "http://127.0.0.1:" + port,
                "--listen-peer-urls", "http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPort,
                "--initial-cluster", "etcd0=http://127.0.0.1:" + peerPort,
                "--initial-cluster-state", "new")
                .redirectErrorStream(true).redirectOutput(base.resolve("etcd.log").toFile()).start();
        Etcd etcd = new Etcd(port, process);
        try {
            URI health = URI.create("http://127.0.0.1:" + port + "/health");
            Polling.await(Duration.ofSeconds(30), "etcd on port " + port,
                    () -> rest.status(health) == 200 ? Boolean.TRUE : null, () -> "");
            return etcd;
        } catch (RuntimeException e) {
            etcd.close();
            throw e;
        }
    }

    /** The client port (127.0.0.1). */
    int port() {
        return port;
    }

    @Override
    public void close() {
        process.destroyForcibly();
        Polling.waitFor(process);
    }
}
