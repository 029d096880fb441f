package dev.warden.drill.matrix;

import dev.warden.testing.PatroniCluster;
import dev.warden.testing.PgBouncer;
import dev.warden.testing.Signals;
import dev.warden.testing.ThrowawayDatabase;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One fault of the matrix drill, made for real: on the drill's own server a kernel blackhole
 * (iptables drops every packet to and from the server's port, SYNs included, in the drill's own
 * network namespace), a stall (SIGSTOP of every PostgreSQL process, then SIGCONT), CPU starvation
 * (a stop/continue duty cycle: stopped 90 ms of every 100 ms) or a restart; on a real PgBouncer in
 * front of it, {@code PAUSE} then {@code RESUME}; on a real Patroni cluster, a planned switchover or
 * a crash of the leader's whole member (Patroni and PostgreSQL killed).
 *
 * @param name     as printed
 * @param kind     what is done
 * @param millis   how long the fault lasts (a restart, switchover or crash: as long as it takes)
 * @param idle     run with the service idle (one write every 500 ms) instead of under load
 */
record MatrixFault(String name, Kind kind, long millis, boolean idle) {

    enum Kind { BLACKHOLE, STALL, STARVE, RESTART, PGBOUNCER_PAUSE, PATRONI_SWITCHOVER, PATRONI_CRASH }

    /**
     * What a fault is made on: the server, and the PgBouncer or Patroni cluster in front of the
     * clients when the fault needs one (null otherwise).
     */
    record Target(ThrowawayDatabase db, PgBouncer bouncer, PatroniCluster cluster) {
    }

    /** How long a Patroni cluster may take to have a leader again, or its replicas streaming. */
    static final Duration PATRONI_PATIENCE = Duration.ofMinutes(3);

    /**
     * Brings the target to the state the fault starts from, outside the fault's window: before a
     * Patroni crash every replica streams again (in synchronous mode only the synchronous standby
     * may be promoted, and after a switchover the old leader rejoins as one).
     */
    void prepare(Target target) {
        if (kind == Kind.PATRONI_CRASH || kind == Kind.PATRONI_SWITCHOVER) {
            target.cluster().awaitReplicas(PATRONI_PATIENCE);
        }
    }

    /**
     * Makes the fault, lasts it, heals it; returns {cut, healed} in {@link System#nanoTime()}
     * (a switchover and a crash are healed when a new leader answers Patroni's {@code /primary}).
     */
    long[] apply(Target target) throws Exception {
        ThrowawayDatabase db = target.db();
        long cut = System.nanoTime();
        switch (kind) {
            case BLACKHOLE -> {
                String port = String.valueOf(db.port());
                iptables("-I", "--dport", port);
                iptables("-I", "--sport", port);
                try {
                    sleep(millis);
                } finally {
                    iptables("-D", "--dport", port);
                    iptables("-D", "--sport", port);
                }
            }
            case STALL -> {
                long[] pids = Signals.stopTree(db.postmasterPid());
                try {
                    sleep(millis);
                } finally {
                    Signals.continueAll(pids);
                }
            }
            case STARVE -> {
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
                for (int i = 0; i < 100_000 && System.nanoTime() < end; i++) {
                    long[] pids = Signals.stopTree(db.postmasterPid());
                    try {
                        sleep(90);
                    } finally {
                        Signals.continueAll(pids);
                    }
                    sleep(10);
                }
            }
            case RESTART -> {
                db.stop();
                db.restart();
            }
            case PGBOUNCER_PAUSE -> {
                // PAUSE returns once the server connections are released (transactions in flight
                // end first); the pause lasts from then.
                target.bouncer().pause();
                try {
                    sleep(millis);
                } finally {
                    target.bouncer().resume();
                }
            }
            case PATRONI_SWITCHOVER -> target.cluster().switchover();
            case PATRONI_CRASH -> {
                PatroniCluster.Member old = target.cluster().crashLeader();
                long end = System.nanoTime() + PATRONI_PATIENCE.toNanos();
                while (target.cluster().leader().filter(m -> !m.equals(old)).isEmpty() && System.nanoTime() - end < 0) {
                    sleep(100);
                }
            }
        }
        return new long[] {cut, System.nanoTime()};
    }

    private static void iptables(String op, String match, String port) throws Exception {
        Process p = new ProcessBuilder("iptables", op, "INPUT", "-p", "tcp", match, port, "-j", "DROP")
                .redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("iptables " + op + " failed: " + new String(p.getInputStream().readAllBytes()));
        }
    }

    private static void sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }
}
