package dev.warden.internal.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.warden.testing.ChildJvm;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real blackhole: the kernel drops every packet to and from the server's port, SYNs included, so
 * even a TCP handshake goes unanswered (a userspace proxy cannot show this: its kernel completes the
 * handshake). Needs root: the child JVM runs in a network namespace it owns ({@code unshare -n},
 * loopback of its own, iptables rules that vanish with the namespace, so nothing on the machine is
 * touched and nothing is left to clean up but the child, which is killed at the end). Skipped without
 * root, unshare or iptables, except under {@code CI=true}, where that is a failure.
 */
class KernelBlackholeTest {

    @Test
    void aGoneNetworkIsDeclaredAtOnceAndInFlightWorkIsReleased() throws Exception {
        requireNamespace();
        try (ChildJvm child = ChildJvm.builder("dev.warden.internal.health.KernelBlackholeMain")
                .launcher("unshare", "-n", "--").start()) {
            String result = child.awaitLine("RESULT ", Duration.ofSeconds(180));
            String[] f = result.trim().split(" ");
            long degraded = Long.parseLong(f[0]);
            long released = Long.parseLong(f[1]);
            long ready = Long.parseLong(f[2]);
            assertThat(f[3]).as("what the probe saw; output:\n%s", child.output()).isEqualTo("SILENT");
            // Today's bounds, with room for a busy machine; the default stall bound (8 s) would be far above.
            assertThat(degraded).as("blackhole -> DEGRADED (ms)").isBetween(0L, 4_000L);
            assertThat(released).as("blackhole -> every writer out of the database (ms)").isBetween(0L, 6_000L);
            assertThat(ready).as("heal -> READY (ms)").isBetween(0L, 5_000L);
            assertThat(child.awaitExit(Duration.ofSeconds(60))).as("the child ends with its server").hasValue(0);
        }
    }

    /**
     * A COMMIT on the wire when the network goes is held within the ride-through, not aborted: the
     * network back in time delivers its answer (as to a plain pool), so no unknown outcome is made;
     * past the ride-through it is aborted and, without verifyCommit, reported unknown.
     */
    @Test
    void aCommitOnTheWireIsHeldWithinTheRideThroughAndAbortedAfterIt() throws Exception {
        requireNamespace();
        try (ChildJvm child = ChildJvm.builder("dev.warden.internal.health.KernelBlackholeCommitMain")
                .launcher("unshare", "-n", "--").start()) {
            String[] f = child.awaitLine("RESULT ", Duration.ofSeconds(180)).trim().split(" ");
            assertThat(f[0]).as("held: the write's outcome; output:\n%s", child.output()).isEqualTo("OK");
            assertThat(f[1]).as("held: DEGRADED while the COMMIT waited (the network was found gone)").isEqualTo("true");
            assertThat(f[2]).as("held: rows written").isEqualTo("1");
            assertThat(f[3]).as("past a 2 s ride-through: the write's outcome").isEqualTo("CommitOutcomeUnknownException");
            // Aborted when the ride-through ran out, long before the network came back (8 s).
            assertThat(Long.parseLong(f[4])).as("cut -> unknown outcome reported (ms)").isBetween(0L, 6_500L);
            assertThat(f[5]).as("the server had committed it: the outcome was truly unknown").isEqualTo("1");
            assertThat(child.awaitExit(Duration.ofSeconds(60))).as("the child ends with its server").hasValue(0);
        }
    }

    private static void requireNamespace() {
        boolean capable = capable();
        if ("true".equals(System.getenv("CI"))) {
            assertThat(capable).as("CI=true: root, unshare -n and iptables are required for the kernel blackhole")
                    .isTrue();
        }
        assumeTrue(capable, "needs root, unshare -n and iptables (a network namespace of its own)");
    }

    private static boolean capable() {
        try {
            Process p = new ProcessBuilder("unshare", "-n", "--", "sh", "-c",
                    "ip link set lo up && iptables -L INPUT -n >/dev/null").redirectErrorStream(true).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
