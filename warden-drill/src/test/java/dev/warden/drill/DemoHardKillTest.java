package dev.warden.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.warden.EmbeddedDatabase;
import dev.warden.testing.ChildJvm;
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
    private final List<ChildJvm> demos = new ArrayList<>();
    private Path data;

    @Test
    @Timeout(600)
    void aDemoKilledWithSigkillLeavesAnOrphanThatTheNextDemoStopsAndAllReplicasGetReady() throws Exception {
        Path root = Files.createTempDirectory("warden-demo-kill");
        data = root.resolve("pgdata");

        ChildJvm first = demo();
        first.awaitLine("Press Ctrl-C", Duration.ofSeconds(180));
        assertThat(first.output()).as("first demo").contains("All 2 replicas ready");
        List<ProcessHandle> firstReplicas = first.process().descendants().filter(p -> p.info().command()
                .map(c -> c.endsWith("java")).orElse(false)).toList();
        assertThat(firstReplicas).as("the first demo's replica JVMs").hasSize(2);
        started.addAll(firstReplicas);
        long orphanPid = postmasterPid();

        first.signal("KILL"); // no shutdown hook, PostgreSQL is not stopped
        assertThat(first.awaitExit(Duration.ofSeconds(30))).isPresent();
        assertThat(ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive)).as("orphaned postgres running")
                .contains(true);
        // Its replicas notice their demo is gone and stop (drained) by themselves.
        await("the killed demo's replicas stop").atMost(Duration.ofSeconds(90))
                .until(() -> firstReplicas.stream().noneMatch(ProcessHandle::isAlive));

        ChildJvm second = demo();
        second.awaitLine("Press Ctrl-C", Duration.ofSeconds(240));
        String out = second.output();
        System.out.println("DEMO after SIGKILL:\n" + out);
        assertThat(out).contains("Found an orphaned embedded PostgreSQL (pid " + orphanPid)
                .contains("All 2 replicas ready; 0 of them ran the initialisation.")
                .doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(postmasterPid()).isNotEqualTo(orphanPid);

        second.signal("TERM"); // as Ctrl-C's signal: the demo stops its replicas, then PostgreSQL
        assertThat(second.awaitExit(Duration.ofSeconds(90))).as("second demo stopped").isPresent();
        String stopped = second.output();
        assertThat(stopped).contains("Stopping the demo: 2 replicas stopped, then PostgreSQL.")
                .doesNotContain("on its own").doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(data.resolve("postmaster.pid")).as("PostgreSQL stopped cleanly").doesNotExist();
    }

    /** The demo as its own JVM (output and errors read by the test), 2 replicas on any free ports. */
    private ChildJvm demo() {
        ChildJvm demo = ChildJvm.builder(WardenCli.class)
                .args("demo", "--replicas", "2", "--base-port", "0", "--data-dir", data.toString()).start();
        demos.add(demo);
        started.add(demo.process().toHandle());
        return demo;
    }

    private long postmasterPid() throws IOException {
        return Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).strip());
    }

    @AfterEach
    void cleanUp() throws Exception {
        demos.forEach(ChildJvm::close); // a demo still running, and its replicas
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
