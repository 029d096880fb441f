package dev.warden.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real second JVM: its READY line, a signal, its exit. */
class ChildJvmTest {

    /** The child: prints READY with its pid as JSON, then waits to be stopped; exits 3 on SIGTERM. */
    public static final class Child {
        public static void main(String[] args) throws InterruptedException {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("STOPPING")));
            System.out.println("READY {\"pid\":" + ProcessHandle.current().pid() + ",\"arg\":\"" + args[0] + "\"}");
            Thread.sleep(Duration.ofMinutes(2));
        }
    }

    @Test
    void readsTheReadyLineAndStopsTheChildWithSigterm() {
        try (ChildJvm child = ChildJvm.builder(Child.class).args("hello").start()) {
            String json = child.awaitLine("READY ", Duration.ofSeconds(60));
            assertThat(json).isEqualTo("{\"pid\":" + child.pid() + ",\"arg\":\"hello\"}");
            child.signal("TERM");
            assertThat(child.awaitExit(Duration.ofSeconds(60))).hasValue(143);
            assertThat(child.lines()).contains("STOPPING");
        }
    }

    @Test
    void theOutputIsAlsoWrittenToAFileALineAtATime(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("child.log");
        try (ChildJvm child = ChildJvm.builder(Child.class).args("logged").outputFile(log).start()) {
            String json = child.awaitLine("READY ", Duration.ofSeconds(60));
            assertThat(Files.readString(log)).as("on disk while the child still runs")
                    .isEqualTo("READY " + json + "\n");
            child.signal("TERM");
            assertThat(child.awaitExit(Duration.ofSeconds(60))).hasValue(143);
        }
        assertThat(Files.readAllLines(log)).containsExactly("READY {\"pid\":" + pidIn(log) + ",\"arg\":\"logged\"}",
                "STOPPING");
    }

    private static String pidIn(Path log) throws Exception {
        String first = Files.readAllLines(log).get(0);
        return first.substring(first.indexOf(':') + 1, first.indexOf(','));
    }

    @Test
    void aChildThatExitsFirstIsReportedWithItsOutput() {
        try (ChildJvm child = ChildJvm.builder("no.such.Main").start()) {
            assertThatThrownBy(() -> child.awaitLine("READY ", Duration.ofSeconds(60)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("exited")
                    .hasMessageContaining("no.such.Main");
        }
    }

    @Test
    void stopEndsTheChildWithSigtermOrKillsItAfterTheGrace() {
        try (ChildJvm child = ChildJvm.builder(Child.class).args("clean").start()) {
            child.awaitLine("READY ", Duration.ofSeconds(60));
            assertThat(child.stop(Duration.ofSeconds(60))).hasValue(143);
            assertThat(child.lines()).contains("STOPPING");
            assertThat(child.stop(Duration.ofSeconds(1))).as("stopping it again").hasValue(143);
        }
        try (ChildJvm child = ChildJvm.builder(Child.class).args("frozen").start()) {
            child.awaitLine("READY ", Duration.ofSeconds(60));
            child.signal("STOP"); // SIGTERM stays pending: the grace runs out
            assertThat(child.stop(Duration.ofMillis(500))).isEmpty();
            assertThat(child.process().isAlive()).as("killed after the grace").isFalse();
        }
    }

    @Test
    void closeKillsAStoppedChild() {
        ChildJvm child = ChildJvm.builder(Child.class).args("x").start();
        child.awaitLine("READY ", Duration.ofSeconds(60));
        child.signal("STOP");
        child.close();
        assertThat(child.process().isAlive()).isFalse();
    }
}
