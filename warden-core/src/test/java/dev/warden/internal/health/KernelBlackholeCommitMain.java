package dev.warden.internal.health;

import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.SlowCommit;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs inside a network namespace of its own ({@code unshare -n}, see {@link KernelBlackholeTest}):
 * a COMMIT on the wire when the network goes (every packet to and from the server's port dropped by
 * the kernel, SYNs included, so the monitor finds the network gone and declares DEGRADED at once).
 * The COMMIT is made slow by a deferred constraint trigger (1 s at commit) and the cut falls inside
 * it, so the server commits and its answer is lost on the way. Two Wardens in turn:
 * <ol>
 *   <li>ride-through 15 s (the default), network back after 4 s: the COMMIT's connection is held, not
 *   aborted, and TCP retransmission delivers the answer: the transaction succeeds;</li>
 *   <li>ride-through 2 s, network back after 8 s: the connection is aborted when the ride-through
 *   runs out, and without {@code verifyCommit} the outcome is reported unknown.</li>
 * </ol>
 * Prints {@code RESULT heldOutcome heldDegraded heldRows boundedOutcome boundedMs boundedRows}.
 */
public final class KernelBlackholeCommitMain {

    public static void main(String[] args) throws Exception {
        KernelBlackholeMain.run("ip", "link", "set", "lo", "up");
        String result;
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-kernel-commit")) {
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
                 Statement st = c.createStatement()) {
                st.execute("create table kc (id bigserial primary key, note text)");
                SlowCommit.install(c, "kc", "true", 1);
            }
            Cut held = cutDuringCommit(db, Duration.ofSeconds(15), "held", Duration.ofSeconds(4));
            Cut bounded = cutDuringCommit(db, Duration.ofSeconds(2), "bounded", Duration.ofSeconds(8));
            result = "RESULT " + held.outcome + " " + held.degraded + " " + rows(db, "held") + " "
                    + bounded.outcome + " " + bounded.millis + " " + rows(db, "bounded");
        }
        System.out.println(result);
        System.exit(0);
    }

    private record Cut(String outcome, boolean degraded, long millis) {
    }

    /** One write whose COMMIT is on the wire when the network goes for {@code outage}. */
    private static Cut cutDuringCommit(ThrowawayDatabase db, Duration rideThrough, String note, Duration outage)
            throws Exception {
        String port = String.valueOf(db.port());
        try (Warden warden = Warden.create(WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl())
                .poolMaxSize(2).rideThrough(rideThrough).applicationName("kernel-commit-" + note).build())) {
            AtomicBoolean degraded = new AtomicBoolean();
            warden.lifecycle().addListener(t -> {
                if (t.to() == State.DEGRADED) {
                    degraded.set(true);
                }
            });
            warden.start();
            CountDownLatch committing = new CountDownLatch(1);
            long[] ended = new long[1];
            CompletableFuture<String> write = CompletableFuture.supplyAsync(() -> {
                try {
                    warden.useTransaction(tx -> {
                        try (Statement st = tx.connection().createStatement()) {
                            st.execute("insert into kc(note) values ('" + note + "')");
                        }
                        committing.countDown(); // the COMMIT follows at once and takes 1 s on the server
                    });
                    return "OK";
                } catch (RuntimeException e) {
                    return e.getClass().getSimpleName();
                } finally {
                    ended[0] = System.nanoTime();
                }
            }, r -> Thread.ofPlatform().daemon().start(r));
            if (!committing.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the write never reached its COMMIT");
            }
            Thread.sleep(300); // inside the server's 1 s COMMIT: its answer will be lost
            long cut = System.nanoTime();
            KernelBlackholeMain.run("iptables", "-I", "INPUT", "-p", "tcp", "--dport", port, "-j", "DROP");
            KernelBlackholeMain.run("iptables", "-I", "INPUT", "-p", "tcp", "--sport", port, "-j", "DROP");
            try {
                long until = cut + outage.toNanos();
                while (System.nanoTime() < until) {
                    Thread.sleep(20);
                }
            } finally {
                KernelBlackholeMain.run("iptables", "-D", "INPUT", "-p", "tcp", "--dport", port, "-j", "DROP");
                KernelBlackholeMain.run("iptables", "-D", "INPUT", "-p", "tcp", "--sport", port, "-j", "DROP");
            }
            String outcome = write.get(60, TimeUnit.SECONDS);
            return new Cut(outcome, degraded.get(), TimeUnit.NANOSECONDS.toMillis(ended[0] - cut));
        }
    }

    private static long rows(ThrowawayDatabase db, String note) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from kc where note = '" + note + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
