package dev.warden.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.EmbeddedDatabase;
import dev.warden.example.auction.AuctionMain;
import dev.warden.example.auction.AuctionSeeder;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code warden demo}: the embedded PostgreSQL (data kept under {@code ./.warden/}) and N replicas of
 * the auction service as separate JVMs on consecutive ports, all on that one database, with the demo
 * users and listings ({@code AUCTION_DEMO_DATA=true}). Each replica's operator endpoints are on its
 * management port, the API port + 1000 ({@code WARDEN_MANAGEMENT_PORT}). Prints the URLs and demo
 * logins, waits until every replica's {@code /health/ready} is 200, shows which one ran the
 * initialisation (each replica's own word: {@code init} in its {@code /health} report), and runs
 * until Ctrl-C (or an interrupt), which stops the replicas and then PostgreSQL.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the auction service as N replicas on one embedded PostgreSQL (Ctrl-C stops all).")
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--replicas", defaultValue = "3", description = "Number of service replicas, 1 to 9 (default ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--base-port", defaultValue = "8080",
            description = "API port of the first replica; the others follow, and each one's management port is its API"
                    + " port + 1000 (default ${DEFAULT-VALUE}; 0 for any free ports).")
    int basePort;

    @Option(names = "--data-dir", defaultValue = ".warden/pgdata",
            description = "Data directory of the embedded PostgreSQL, kept between runs (default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--db-port", defaultValue = "0", description = "Port of the embedded PostgreSQL (default: any free one).")
    int dbPort;

    @Option(names = "--ready-timeout", defaultValue = "120", description = "Seconds to wait for all replicas to be ready (default ${DEFAULT-VALUE}).")
    int readyTimeoutSeconds;

    @Option(names = "--exit-when-ready", description = "Stop everything once all replicas are ready (for tests and CI).")
    boolean exitWhenReady;

    /** A replica's management port is its API port plus this (the service's own default). */
    static final int MANAGEMENT_OFFSET = 1000;

    private final List<Process> processes = new ArrayList<>();
    private boolean stopping; // guarded by this
    private EmbeddedDatabase db;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (replicas < 1 || replicas > 9) {
            spec.commandLine().getErr().println("--replicas must be 1 to 9, got " + replicas);
            return 2;
        }
        if (basePort != 0 && (basePort < 1 || basePort + MANAGEMENT_OFFSET + replicas - 1 > 65535)) {
            spec.commandLine().getErr().println("--base-port must be 0 (any free ports) or 1 to "
                    + (65535 - MANAGEMENT_OFFSET - replicas + 1) + " (the management ports are " + MANAGEMENT_OFFSET
                    + " higher), got " + basePort);
            return 2;
        }
        List<Integer> ports = ports(0);
        List<Integer> managementPorts = ports == null ? null : ports(MANAGEMENT_OFFSET);
        if (managementPorts == null) {
            return 2;
        }
        Thread hook = new Thread(this::stopAll, "warden-demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            out.println("Starting the embedded PostgreSQL (data in " + dataDir.toAbsolutePath().normalize() + ") …");
            out.flush();
            db = EmbeddedDatabase.start(dataDir, dbPort);
            db.beforeExitStop(this::stopAll); // on Ctrl-C, PostgreSQL stops only after the replicas drained
            Path logs = dataDir.toAbsolutePath().normalize().getParent().resolve("logs");
            Files.createDirectories(logs);
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            String secret = HexFormat.of().formatHex(key);
            String javaBin = ProcessHandle.current().info().command().orElse("java");
            // The replicas start with the C1 compiler only: they start sooner and serve a demo's
            // requests, where C2's peak speed is not missed (its compiler threads would cost CPU).
            for (int i = 0; i < replicas; i++) {
                String name = "replica-" + (i + 1);
                ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                        AuctionMain.class.getName());
                pb.environment().put("WARDEN_DB_URL", db.jdbcUrl());
                // The embedded server requires its password (kept in the data directory, owner-only).
                pb.environment().put("WARDEN_DB_USER", db.user());
                pb.environment().put("WARDEN_DB_PASSWORD", db.password().reveal());
                pb.environment().put("WARDEN_APP_NAME", "auction-" + name);
                pb.environment().put("PORT", Integer.toString(ports.get(i)));
                pb.environment().put("WARDEN_MANAGEMENT_PORT", Integer.toString(managementPorts.get(i)));
                pb.environment().put("REPLICA_NAME", name);
                pb.environment().put("AUCTION_JWT_SECRET", secret); // one secret: tokens work on every replica
                pb.environment().put("AUCTION_DEMO_DATA", "true"); // the demo logins below; never in production
                // A replica stops when the demo does, even when the demo is killed without its shutdown (SIGKILL).
                pb.environment().put("AUCTION_PARENT_PID", Long.toString(ProcessHandle.current().pid()));
                pb.redirectErrorStream(true).redirectOutput(logs.resolve(name + ".log").toFile());
                processes.add(pb.start());
                out.printf("  %s  API http://127.0.0.1:%d   health http://127.0.0.1:%d/health   (log: %s)%n", name,
                        ports.get(i), managementPorts.get(i), logs.resolve(name + ".log"));
            }
            out.println("Demo logins (POST /auth/login): " + String.join(", ", java.util.Arrays.stream(
                    AuctionSeeder.DEMO_USERS).map(u -> u[0] + " / " + u[1] + (u[2].equals("admin") ? " (admin)" : ""))
                    .toList()));
            out.println("Waiting for every replica's /health/ready …");
            out.flush();
            if (!awaitReady(managementPorts, out)) {
                return 1;
            }
            int initialisers = reportInit(managementPorts, out);
            out.println("Try: curl -s http://127.0.0.1:" + ports.get(0) + "/listings   (dashboard: http://127.0.0.1:"
                    + managementPorts.get(0) + "/dashboard)");
            out.flush();
            if (initialisers < 0) {
                return 1;
            }
            if (exitWhenReady) {
                return 0;
            }
            out.println("Press Ctrl-C to stop all replicas and PostgreSQL.");
            out.flush();
            try {
                while (processes.stream().allMatch(Process::isAlive) && !stopping()) {
                    Thread.sleep(500);
                }
                // Ctrl-C signals the replicas too (one process group); one may exit before this JVM's hook runs.
                for (int i = 0; i < 20 && !stopping(); i++) {
                    Thread.sleep(50);
                }
            } catch (InterruptedException stop) {
                out.println("Interrupted: stopping the demo.");
                out.flush();
                return 0;
            }
            if (stopping()) { // a signal (Ctrl-C, SIGTERM): the shutdown hook stops the replicas and says so
                return 0;
            }
            for (int i = 0; i < processes.size(); i++) {
                if (!processes.get(i).isAlive() && !stopping()) {
                    spec.commandLine().getErr().println("replica-" + (i + 1) + " exited on its own (status "
                            + processes.get(i).exitValue() + "); see its log. Stopping the demo.");
                }
            }
            return 1;
        } finally {
            stopAll();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already
            }
        }
    }

    /**
     * Prints, per replica, what its Warden says about the initialisation ({@code init} in
     * {@code /health}, on its management port): whether this replica ran it, or who did. Returns how many replicas ran it,
     * or -1 when the replicas disagree (more than one ran it, different epochs or owners).
     */
    private int reportInit(List<Integer> ports, PrintWriter out) throws IOException, InterruptedException {
        ObjectMapper json = new ObjectMapper();
        HttpClient client = HttpClient.newHttpClient();
        List<JsonNode> inits = new ArrayList<>();
        for (int port : ports) {
            inits.add(json.readTree(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/health")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString())
                    .body()).path("init"));
        }
        // A follower's report names the initialiser by its Warden owner; show it by replica name when it is one of ours.
        Map<String, String> names = new HashMap<>();
        for (int i = 0; i < inits.size(); i++) {
            if (inits.get(i).path("initializedHere").asBoolean()) {
                names.put(inits.get(i).path("owner").asText(), "replica-" + (i + 1));
            }
        }
        int initialisers = names.size();
        Set<String> epochs = new HashSet<>();
        Set<String> owners = new HashSet<>();
        for (int i = 0; i < inits.size(); i++) {
            JsonNode init = inits.get(i);
            String owner = init.path("owner").asText();
            epochs.add(init.path("epoch").asText());
            owners.add(owner);
            if (init.path("initializedHere").asBoolean()) {
                out.printf("  replica-%d READY  <- initialised the database (epoch %s: migrations + seed, %d ms)%n",
                        i + 1, init.path("epoch").asText(), init.path("tookMs").asLong());
            } else {
                out.printf("  replica-%d READY  (found epoch %s initialised by %s)%n", i + 1,
                        init.path("epoch").asText(), names.getOrDefault(owner, owner + ", in an earlier run"));
            }
        }
        out.printf("All %d replicas ready; %d of them ran the initialisation.%n", ports.size(), initialisers);
        out.flush();
        if (initialisers > 1 || epochs.size() != 1 || owners.size() != 1) {
            spec.commandLine().getErr().println("The replicas disagree about the initialisation (epochs " + epochs
                    + ", initialised by " + owners + "); see their logs.");
            return -1;
        }
        return initialisers;
    }

    /** The replicas' ports, {@code offset} above {@code --base-port} (or any free ones); null when one is in use. */
    private List<Integer> ports(int offset) throws IOException {
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            int port = basePort == 0 ? freePort() : basePort + offset + i;
            if (basePort != 0 && !isFree(port)) {
                spec.commandLine().getErr().println("Port " + port + " is in use; choose others with --base-port"
                        + " (or --base-port 0 for any free ports).");
                return null;
            }
            ports.add(port);
        }
        return ports;
    }

    private boolean awaitReady(List<Integer> ports, PrintWriter out) throws InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(readyTimeoutSeconds);
        for (int i = 0; i < ports.size(); i++) {
            while (true) {
                if (!processes.get(i).isAlive()) {
                    spec.commandLine().getErr().println("replica-" + (i + 1) + " exited with status "
                            + processes.get(i).exitValue() + " before it was ready; see its log.");
                    return false;
                }
                try {
                    int status = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(i)
                            + "/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                    if (status == 200) {
                        break;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline) {
                    spec.commandLine().getErr().println("replica-" + (i + 1) + " was not ready within "
                            + readyTimeoutSeconds + " s; see its log.");
                    return false;
                }
                Thread.sleep(200);
            }
        }
        return true;
    }

    private synchronized boolean stopping() {
        return stopping;
    }

    /**
     * Stops the replicas (SIGTERM, so they drain; SIGKILL after 25 s), then PostgreSQL, and says what
     * it stopped. Runs once; a second caller (the embedded server's own exit hook) waits until it is done,
     * so PostgreSQL never goes before the replicas have drained.
     */
    private synchronized void stopAll() {
        if (stopping) {
            return;
        }
        stopping = true;
        int running = 0;
        for (Process p : processes) {
            if (p.isAlive()) {
                running++;
                p.destroy();
            }
        }
        int forced = 0;
        for (Process p : processes) {
            try {
                if (!p.waitFor(25, TimeUnit.SECONDS)) { // WARDEN_DRAIN_TIMEOUT (20 s) and HTTP's stop
                    forced++;
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        if (db != null) {
            db.close();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("Stopping the demo: " + running + " replica" + (running == 1 ? "" : "s") + " stopped"
                + (forced > 0 ? " (" + forced + " killed after 25 s)" : "") + (db != null ? ", then PostgreSQL." : "."));
        out.flush();
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
