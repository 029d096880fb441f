package dev.warden.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * {@code warden demo} end to end: embedded PostgreSQL, three replica JVMs. While the demo runs, the
 * test asks every replica itself: all {@code /health/ready} (on the management port; the API port
 * does not serve it) are 200, exactly one replica's {@code /health} says it initialised the epoch,
 * and the demo logins it prints work; then an interrupt stops everything. Run again on the
 * same data directory ({@code --exit-when-ready}): the database is initialised and nobody re-runs it.
 */
class DemoCommandTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(300)
    void demoStartsThreeReplicasExactlyOneInitialisesAndAllStop() throws Exception {
        Path data = Files.createTempDirectory("warden-demo").resolve("pgdata");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AtomicInteger code = new AtomicInteger(-1);
        Thread demo = Thread.ofPlatform().name("demo").start(() -> code.set(cli(out, err).execute("demo",
                "--replicas", "3", "--base-port", "0", "--data-dir", data.toString())));
        try {
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(100))
                    .until(() -> out.toString().contains("Press Ctrl-C") || !demo.isAlive());
        } catch (ConditionTimeoutException e) {
            // the assertion below fails with the demo's output
        }
        String first = out.toString();
        System.out.println("DEMO (first run):\n" + first);
        assertThat(first).as("demo running; out:\n%s\nerr:\n%s", out, err).contains("Press Ctrl-C");
        try {
            assertThat(first).contains("replica-1  API http://127.0.0.1:", "replica-3  API http://127.0.0.1:")
                    .contains("admin / admin-password (admin)", "alice / alice-password")
                    .contains("All 3 replicas ready; 1 of them ran the initialisation.");
            assertThat(count(first, "<- initialised the database")).isEqualTo(1);

            // Ask the replicas directly.
            List<Integer> ports = ports(first, 1);
            List<Integer> managementPorts = ports(first, 2);
            assertThat(ports).hasSize(3);
            assertThat(managementPorts).hasSize(3).doesNotContainAnyElementsOf(ports);
            int initialisedHere = 0;
            Set<String> epochs = new HashSet<>();
            Set<String> owners = new HashSet<>();
            for (int port : ports) {
                assertThat(get(port, "/health").statusCode()).as("API port %d has no /health", port).isEqualTo(404);
                HttpResponse<String> login = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/auth/login")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"username\":\"admin\",\"password\":\"admin-password\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(login.statusCode()).as("demo login on %d: %s", port, login.body()).isEqualTo(200);
            }
            for (int port : managementPorts) {
                assertThat(get(port, "/health/ready").statusCode()).as("replica on %d ready", port).isEqualTo(200);
                HttpResponse<String> health = get(port, "/health");
                assertThat(health.statusCode()).isEqualTo(200);
                JsonNode init = JSON.readTree(health.body()).get("init");
                assertThat(init.get("status").asText()).isEqualTo("COMPLETED");
                initialisedHere += init.get("initializedHere").asBoolean() ? 1 : 0;
                epochs.add(init.get("epoch").asText());
                owners.add(init.get("owner").asText());
            }
            assertThat(initialisedHere).as("replicas whose /health says they initialised").isEqualTo(1);
            assertThat(epochs).hasSize(1);
            assertThat(owners).hasSize(1);
            assertThat(owners.iterator().next()).startsWith("auction-replica-");
        } finally {
            demo.interrupt();
            demo.join(60_000);
        }
        assertThat(demo.isAlive()).isFalse();
        assertThat(code.get()).as("exit code; err:\n%s", err).isZero();
        assertThat(out.toString()).contains("Interrupted: stopping the demo.");

        StringWriter out2 = new StringWriter();
        StringWriter err2 = new StringWriter();
        int code2 = cli(out2, err2).execute("demo", "--replicas", "3", "--base-port", "0", "--data-dir",
                data.toString(), "--exit-when-ready");
        String second = out2.toString();
        System.out.println("DEMO (second run):\n" + second);
        assertThat(code2).as("exit code; out:\n%s\nerr:\n%s", second, err2).isZero();
        assertThat(second).contains("All 3 replicas ready; 0 of them ran the initialisation.");
        assertThat(count(second, ", in an earlier run)")).isEqualTo(3);
        assertThat(Files.readString(data.getParent().resolve("logs").resolve("replica-1.log")))
                .contains("Warden READY -> STOPPING");
        dev.warden.EmbeddedDatabase.deleteDirectory(data); // the server data; the logs stay
    }

    @Test
    void aBasePortWhoseManagementPortsWouldPassTheLastPortIsRefusedAtOnce() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(cli(out, err).execute("demo", "--base-port", "65000")).isEqualTo(2);
        assertThat(err.toString()).contains("--base-port must be 0 (any free ports) or 1 to 64533", "got 65000");
        assertThat(out.toString()).doesNotContain("Starting the embedded PostgreSQL");
    }

    private static CommandLine cli(StringWriter out, StringWriter err) {
        CommandLine cli = new CommandLine(new WardenCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli;
    }

    /** The API ports ({@code group} 1) or management ports (2) the demo printed. */
    private static List<Integer> ports(String output, int group) {
        Matcher m = Pattern.compile("replica-\\d  API http://127\\.0\\.0\\.1:(\\d+)   health http://127\\.0\\.0\\.1:(\\d+)/health")
                .matcher(output);
        List<Integer> ports = new ArrayList<>();
        while (m.find()) {
            ports.add(Integer.parseInt(m.group(group)));
        }
        return ports;
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
