package dev.warden.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A throw-away server left open is stopped and deleted when its JVM exits, whatever else runs at exit. */
class ThrowawayDatabaseTest {

    /**
     * The child: starts a server, closes it from a shutdown hook of its own a moment after exit began
     * (as {@link SharedPostgres} and test fixtures do), prints its directory and postmaster, and exits.
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            ThrowawayDatabase db = ThrowawayDatabase.start("warden-exit-test", Map.of());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Thread.sleep(30);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                db.close();
            }));
            System.out.println("READY {\"dir\":\"" + db.dataDir().getParent() + "\",\"pid\":" + db.postmasterPid() + "}");
            System.exit(0);
        }
    }

    @Test
    void anOpenServerIsStoppedAndDeletedWhenTheJvmExitsBesideAnotherHookThatClosesIt() {
        for (int run = 0; run < 3; run++) {
            try (ChildJvm child = ChildJvm.builder(Child.class).start()) {
                String json = child.awaitLine("READY ", Duration.ofSeconds(120));
                assertThat(child.awaitExit(Duration.ofSeconds(120))).hasValue(0);
                Path dir = Path.of(json.replaceAll(".*\"dir\":\"([^\"]+)\".*", "$1"));
                long pid = Long.parseLong(json.replaceAll(".*\"pid\":(\\d+).*", "$1"));
                // stopped by the exiting JVM, not minutes later when the server finds its lock file gone
                ProcessHandle.of(pid).ifPresent(p -> awaitExit(p, Duration.ofSeconds(10)));
                assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("postmaster %s, run %s", pid, run).isEmpty();
                assertThat(Files.exists(dir)).as("%s left behind, run %s", dir, run).isFalse();
            }
        }
    }

    private static void awaitExit(ProcessHandle p, Duration timeout) {
        try {
            p.onExit().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException stillAlive) {
            // asserted by the caller
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }
}
