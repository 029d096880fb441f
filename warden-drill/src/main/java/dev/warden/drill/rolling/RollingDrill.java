package dev.warden.drill.rolling;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.drill.DbOptions;
import dev.warden.drill.JsonOutput;
import dev.warden.example.auction.AuctionApp;
import dev.warden.testing.ThrowawayDatabase;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code warden drill rolling}: a rolling restart under write load. N replicas of the auction
 * service run as separate JVMs on one database, behind a client that spreads requests round-robin
 * over the replicas whose readiness probe last answered 200, as a Kubernetes Service does (it
 * polls every {@value #PROBE_EVERY_MS} ms and drops a replica at its first failed probe). Each
 * replica in turn gets SIGTERM, drains and exits, and is started again on the same port.
 *
 * <p>Judged: {@code failed_requests} (any answer but 201, except a 503 from a replica that is
 * draining, and any request that got no answer), {@code cut_transactions} (requests cut while
 * in flight: no answer after being sent, or a 500; plus drains that ran out of time) and
 * {@code lost_writes} (listings acknowledged with 201 and missing from the database afterwards).
 * All three must be 0.
 */
@Command(name = "rolling", mixinStandardHelpOptions = true,
        description = "Restart every replica in turn with SIGTERM under load; no failed request, cut transaction or lost write.")
public final class RollingDrill implements Callable<Integer> {

    static final long PROBE_EVERY_MS = 100;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    DbOptions db = new DbOptions();

    @Option(names = "--replicas", defaultValue = "3", description = "Replicas, 2 to 9 (default ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--clients", defaultValue = "4", description = "Concurrent client threads (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--steady-seconds", defaultValue = "3",
            description = "Load before the first restart and after the last (default ${DEFAULT-VALUE}).")
    int steadySeconds;

    @Option(names = "--shutdown-delay-ms", defaultValue = "1000",
            description = "AUCTION_SHUTDOWN_DELAY_MS of the replicas: how long they keep answering after SIGTERM, so that"
                    + " the client sees readiness fail before the port closes (default ${DEFAULT-VALUE}).")
    long shutdownDelayMs;

    @Mixin
    JsonOutput output = new JsonOutput();

    private final List<ReplicaProcess> fleet = new ArrayList<>();
    /** Per replica: 1 when its last readiness probe answered 200. */
    private AtomicIntegerArray ready;
    /** Per replica: 1 from its SIGTERM until it exited. */
    private AtomicIntegerArray draining;
    private AtomicReferenceArray<HttpClient> clientsByReplica;
    private final AtomicLong next = new AtomicLong();
    private final LongAdder requests = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder cut = new LongAdder();
    private final LongAdder drain503 = new LongAdder();
    private final ConcurrentLinkedQueue<Long> acknowledged = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final ObjectMapper mapper = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        if (replicas < 2 || replicas > 9 || clients < 1 || clients > 64 || steadySeconds < 0 || shutdownDelayMs < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--replicas must be 2 to 9, --clients 1 to 64, --steady-seconds and --shutdown-delay-ms >= 0");
        }
        if (db.url() != null) {
            return drill(db.url(), db.user(), db.password());
        }
        try (ThrowawayDatabase server = ThrowawayDatabase.start("warden-rolling-drill", Map.of())) {
            return drill(server.jdbcUrl(), "postgres", "");
        }
    }

    private Integer drill(String url, String user, String password) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter progress = output.json() ? new PrintWriter(System.err, true) : out;
        Path logs = Files.createTempDirectory("warden-rolling-drill");
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Map<String, String> env = new HashMap<>();
        env.put("WARDEN_DB_URL", url);
        env.put("WARDEN_DB_USER", user);
        env.put("WARDEN_DB_PASSWORD", password);
        env.put("AUCTION_JWT_SECRET", HexFormat.of().formatHex(key));
        env.put("AUCTION_SHUTDOWN_DELAY_MS", Long.toString(shutdownDelayMs));
        ready = new AtomicIntegerArray(replicas);
        draining = new AtomicIntegerArray(replicas);
        clientsByReplica = new AtomicReferenceArray<>(replicas);
        for (int i = 0; i < replicas; i++) {
            String name = "replica-" + (i + 1);
            Map<String, String> own = new HashMap<>(env);
            own.put("WARDEN_APP_NAME", "auction-" + name);
            fleet.add(new ReplicaProcess(name, ReplicaProcess.freePort(), ReplicaProcess.freePort(), own,
                    logs.resolve(name + ".log")));
            clientsByReplica.set(i, newClient());
        }
        ScheduledExecutorService prober = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                .daemon().name("rolling-prober").unstarted(r));
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> load = new ArrayList<>();
        List<Long> drainMs = new ArrayList<>();
        List<Long> readyAgainMs = new ArrayList<>();
        int restarted = 0;
        try {
            progress.printf("rolling drill: %d replicas, %d clients, logs in %s%n", replicas, clients, logs);
            for (ReplicaProcess r : fleet) {
                r.start();
            }
            HttpClient probeClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
            prober.scheduleWithFixedDelay(() -> probeAll(probeClient), 0, PROBE_EVERY_MS, TimeUnit.MILLISECONDS);
            for (int i = 0; i < replicas; i++) {
                if (awaitReady(i, 120) < 0) {
                    return fail(out, fleet.get(i).name + " was not ready within 120 s; see " + fleet.get(i).log());
                }
            }
            String token = login();
            for (int c = 0; c < clients; c++) {
                Thread t = Thread.ofPlatform().name("rolling-client-" + c).start(() -> clientLoop(token, stop));
                load.add(t);
            }
            Thread.sleep(steadySeconds * 1000L);
            for (int i = 0; i < replicas; i++) {
                ReplicaProcess r = fleet.get(i);
                long t0 = System.nanoTime();
                draining.set(i, 1);
                r.terminate();
                if (!r.awaitExit(60)) {
                    return fail(out, r.name + " did not exit within 60 s of SIGTERM; see " + r.log());
                }
                drainMs.add((System.nanoTime() - t0) / 1_000_000);
                clientsByReplica.set(i, newClient()); // connections to the old process died with it
                draining.set(i, 0);
                long t1 = System.nanoTime();
                r.start();
                long readyMs = awaitReady(i, 120);
                if (readyMs < 0) {
                    return fail(out, r.name + " was not ready within 120 s of its restart; see " + r.log());
                }
                readyAgainMs.add((System.nanoTime() - t1) / 1_000_000);
                restarted++;
                progress.printf("  %s: SIGTERM -> exit in %d ms, ready again in %d ms (requests so far %d, failed %d)%n",
                        r.name, drainMs.getLast(), readyAgainMs.getLast(), requests.sum(), failed.sum());
            }
            Thread.sleep(steadySeconds * 1000L);
        } finally {
            stop.set(true);
            for (Thread t : load) {
                t.join(30_000);
            }
            prober.shutdownNow();
            for (ReplicaProcess r : fleet) {
                r.stop();
            }
        }
        long drainTimeouts = 0;
        for (ReplicaProcess r : fleet) {
            drainTimeouts += Files.readAllLines(r.log()).stream().filter(l -> l.contains("Drain timed out")).count();
        }
        long lost = lostWrites(url, user, password);
        RollingFigures figures = RollingFigures.judge(new RollingFigures.Fleet(replicas, restarted),
                new RollingFigures.Requests(requests.sum(), failed.sum(), cut.sum() + drainTimeouts, lost,
                        acknowledged.size(), drain503.sum()),
                new RollingFigures.Timings(drainMs.stream().mapToLong(Long::longValue).max().orElse(0),
                        readyAgainMs.stream().mapToLong(Long::longValue).max().orElse(0)),
                new RollingFigures.Evidence(failures.stream().limit(5).toList(), logs.toString()));
        return output.print(figures);
    }

    private int fail(PrintWriter out, String why) {
        spec.commandLine().getErr().println("rolling drill: " + why);
        out.flush();
        return 1;
    }

    private static HttpClient newClient() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    private void probeAll(HttpClient probeClient) {
        for (int i = 0; i < fleet.size(); i++) {
            boolean ok;
            try {
                ok = probeClient.send(HttpRequest.newBuilder(fleet.get(i).readinessUrl()).timeout(Duration.ofSeconds(1))
                        .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                ok = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            ready.set(i, ok ? 1 : 0);
        }
    }

    /** Waits until the prober has seen replica {@code i} ready; its wait in ms, or -1 on time-out or exit. */
    private long awaitReady(int i, int seconds) throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(seconds);
        while (ready.get(i) == 0) {
            if (System.nanoTime() > deadline || !fleet.get(i).alive()) {
                return -1;
            }
            Thread.sleep(20);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** A seller account for the load, registered and logged in on the first replica. */
    private String login() throws IOException, InterruptedException {
        byte[] b = new byte[9];
        new SecureRandom().nextBytes(b);
        String hex = HexFormat.of().formatHex(b);
        String body = "{\"username\":\"rolling_" + hex.substring(0, 8) + "\",\"password\":\"Rl-" + hex + "-pw\"}";
        HttpClient c = newClient();
        HttpResponse<String> reg = c.send(post(fleet.get(0).api("/auth/register"), body, null),
                HttpResponse.BodyHandlers.ofString());
        if (reg.statusCode() != 201) {
            throw new IllegalStateException("register answered " + reg.statusCode() + ": " + reg.body());
        }
        HttpResponse<String> login = c.send(post(fleet.get(0).api("/auth/login"), body, null),
                HttpResponse.BodyHandlers.ofString());
        if (login.statusCode() != 200) {
            throw new IllegalStateException("login answered " + login.statusCode() + ": " + login.body());
        }
        return mapper.readTree(login.body()).path("token").asText();
    }

    private static HttpRequest post(URI uri, String body, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b.build();
    }

    /** Round-robin over the replicas in rotation (ready at their last probe), as a Service spreads connections. */
    private void clientLoop(String token, AtomicBoolean stop) {
        String endsAt = Instant.now().plus(Duration.ofDays(7)).toString();
        long n = 0;
        while (!stop.get()) {
            int i = pick();
            if (i < 0) {
                sleep(10); // no replica in rotation: a Service would have no endpoint either
                continue;
            }
            ReplicaProcess r = fleet.get(i);
            boolean drainingBefore = draining.get(i) == 1;
            String body = "{\"title\":\"rolling " + Thread.currentThread().getName() + " " + (n++)
                    + "\",\"description\":\"\",\"startingPrice\":100,\"minIncrement\":10,\"endsAt\":\"" + endsAt + "\"}";
            requests.increment();
            try {
                HttpResponse<String> resp = clientsByReplica.get(i).send(post(r.api("/listings"), body, token),
                        HttpResponse.BodyHandlers.ofString());
                int status = resp.statusCode();
                if (status == 201) {
                    acknowledged.add(mapper.readTree(resp.body()).path("id").asLong());
                } else if (status == 503 && (drainingBefore || draining.get(i) == 1)
                        && resp.headers().firstValue("Retry-After").isPresent()) {
                    drain503.increment();
                } else {
                    failed.increment();
                    if (status >= 500 && status != 503) {
                        cut.increment();
                    }
                    note(r, "HTTP " + status + " " + abbreviate(resp.body()));
                }
            } catch (ConnectException | HttpConnectTimeoutException notConnected) {
                failed.increment();
                note(r, "no connection: " + notConnected);
            } catch (IOException inFlight) {
                failed.increment();
                cut.increment(); // sent, and the connection ended before an answer
                note(r, "cut in flight: " + inFlight);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private int pick() {
        int n = ready.length();
        long start = next.getAndIncrement();
        for (int k = 0; k < n; k++) {
            int i = (int) Math.floorMod(start + k, (long) n);
            if (ready.get(i) == 1) {
                return i;
            }
        }
        return -1;
    }

    private void note(ReplicaProcess r, String what) {
        if (failures.size() < 20) {
            failures.add(r.name + (draining.get(fleet.indexOf(r)) == 1 ? " (draining)" : "") + ": " + what);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Acknowledged listings missing from the database. */
    private long lostWrites(String url, String user, String password) throws Exception {
        if (acknowledged.isEmpty()) {
            return 0;
        }
        try (Connection c = DriverManager.getConnection(url, user, password);
             PreparedStatement ps = c.prepareStatement("select count(*) from " + AuctionApp.SCHEMA
                     + ".listing where id = any(?)")) {
            Array ids = c.createArrayOf("bigint", acknowledged.toArray());
            ps.setArray(1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return acknowledged.size() - rs.getLong(1);
            }
        }
    }
}
