package dev.warden.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.EmbeddedDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code warden demo} as separate JVMs, as a user runs it: SIGKILL of the demo (no shutdown hook
 * runs) leaves its embedded PostgreSQL running, orphaned, on the data directory; the next demo on that
 * directory stops the orphan with one line saying so and comes up with every replica READY, no stack
 * trace. The killed demo's replicas stop by themselves. A SIGTERM then stops the second demo, which
 * says what it stopped and never that a replica stopped on its own.
 */
class DemoHardKillTest {

    private final List<ProcessHandle> started = new ArrayList<>();
    private Path data;

    @Test
    @Timeout(600)
    void aDemoKilledWithSigkillLeavesAnOrphanThatTheNextDemoStopsAndAllReplicasGetReady() throws Exception {
        Path root = Files.createTempDirectory("warden-demo-kill");
        data = root.resolve("pgdata");

        Path firstOut = root.resolve("first.out");
        Process first = demo(firstOut);
        await("first demo ready").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.readString(firstOut).contains("Press Ctrl-C") || !first.isAlive());
        assertThat(Files.readString(firstOut)).as("first demo").contains("All 2 replicas ready");
        List<ProcessHandle> firstReplicas = first.descendants().filter(p -> p.info().command()
                .map(c -> c.endsWith("java")).orElse(false)).toList();
        assertThat(firstReplicas).as("the first demo's replica JVMs").hasSize(2);
        started.addAll(firstReplicas);
        long orphanPid = postmasterPid();

        first.destroyForcibly(); // SIGKILL: no shutdown hook, PostgreSQL is not stopped
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive)).as("orphaned postgres running")
                .contains(true);
        // Its replicas notice their demo is gone and stop (drained) by themselves.
        await("the killed demo's replicas stop").atMost(Duration.ofSeconds(90))
                .until(() -> firstReplicas.stream().noneMatch(ProcessHandle::isAlive));

        Path secondOut = root.resolve("second.out");
        Process second = demo(secondOut);
        await("second demo ready").atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.readString(secondOut).contains("Press Ctrl-C") || !second.isAlive());
        String out = Files.readString(secondOut);
        System.out.println("DEMO after SIGKILL:\n" + out);
        assertThat(out).contains("Found an orphaned embedded PostgreSQL (pid " + orphanPid)
                .contains("All 2 replicas ready; 0 of them ran the initialisation.")
                .doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(postmasterPid()).isNotEqualTo(orphanPid);

        second.destroy(); // SIGTERM, as Ctrl-C's signal: the demo stops its replicas, then PostgreSQL
        assertThat(second.waitFor(90, TimeUnit.SECONDS)).as("second demo stopped").isTrue();
        String stopped = Files.readString(secondOut);
        assertThat(stopped).contains("Stopping the demo: 2 replicas stopped, then PostgreSQL.")
                .doesNotContain("on its own").doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(data.resolve("postmaster.pid")).as("PostgreSQL stopped cleanly").doesNotExist();
    }

    /** The demo as its own JVM (output and errors to {@code out}), 2 replicas on any free ports. */
    private Process demo(Path out) throws IOException {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(javaBin, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                WardenCli.class.getName(), "demo", "--replicas", "2", "--base-port", "0", "--data-dir", data.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        started.add(p.toHandle());
        return p;
    }

    private long postmasterPid() throws IOException {
        return Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).strip());
    }

    @AfterEach
    void cleanUp() throws Exception {
        List<ProcessHandle> all = new ArrayList<>();
        for (ProcessHandle p : started) {
            p.descendants().forEach(all::add);
            all.add(p);
        }
        Optional<ProcessHandle> postgres = Optional.empty();
        if (data != null && Files.exists(data.resolve("postmaster.pid"))) {
            postgres = ProcessHandle.of(postmasterPid()).filter(p -> p.info().command()
                    .map(c -> c.endsWith("/postgres")).orElse(false));
        }
        all.forEach(ProcessHandle::destroyForcibly);
        postgres.ifPresent(ProcessHandle::destroyForcibly);
        postgres.ifPresent(all::add);
        for (ProcessHandle p : all) { // bounded: 30 s each at most, and a process that will not die is reported
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                System.err.println("Process " + p.pid() + " still running after SIGKILL and 30 s");
            }
        }
        if (data != null) {
            EmbeddedDatabase.deleteDirectory(data.getParent());
        }
    }
}
