package dev.warden.drill;

import dev.warden.testing.Signals;
import dev.warden.testing.ThrowawayDatabase;
import java.util.concurrent.TimeUnit;

/**
 * One fault of the matrix drill, made for real on the drill's own server: a kernel blackhole
 * (iptables drops every packet to and from the server's port, SYNs included, in the drill's own
 * network namespace), a stall (SIGSTOP of every PostgreSQL process, then SIGCONT), CPU starvation
 * (a stop/continue duty cycle: stopped 90 ms of every 100 ms) or a restart.
 *
 * @param name     as printed
 * @param kind     what is done
 * @param millis   how long the fault lasts (a restart: as long as it takes)
 * @param idle     run with the service idle (one write every 500 ms) instead of under load
 */
record MatrixFault(String name, Kind kind, long millis, boolean idle) {

    enum Kind { BLACKHOLE, STALL, STARVE, RESTART }

    /** Makes the fault, lasts it, heals it; returns {cut, healed} in {@link System#nanoTime()}. */
    long[] apply(ThrowawayDatabase db) throws Exception {
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
                long[] pids = Signals.withDescendants(db.postmasterPid());
                signal("STOP", pids);
                try {
                    sleep(millis);
                } finally {
                    signal("CONT", pids);
                }
            }
            case STARVE -> {
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
                for (int i = 0; i < 100_000 && System.nanoTime() < end; i++) {
                    long[] pids = Signals.withDescendants(db.postmasterPid());
                    signal("STOP", pids);
                    try {
                        sleep(90);
                    } finally {
                        signal("CONT", pids);
                    }
                    sleep(10);
                }
            }
            case RESTART -> {
                db.stop();
                db.restart();
            }
        }
        return new long[] {cut, System.nanoTime()};
    }

    /**
     * kill -SIG to every pid; a backend that exited since it was listed is no failure (kill still
     * signals the others).
     */
    private static void signal(String sig, long[] pids) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("kill", "-" + sig));
        for (long pid : pids) {
            cmd.add(Long.toString(pid));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("kill -" + sig + " did not return within 10 s");
        }
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
