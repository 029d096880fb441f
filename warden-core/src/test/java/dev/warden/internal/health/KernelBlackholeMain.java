package dev.warden.internal.health;

import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs inside a network namespace of its own ({@code unshare -n}, see {@link KernelBlackholeTest}):
 * brings loopback up, starts a PostgreSQL and a Warden with its defaults (no ride-through, so that
 * release is measured as fail-fast), keeps 4 writers inside the database, then drops every packet to
 * and from the server's port with iptables (SYNs included: a real blackhole, no proxy in between),
 * and heals after the DEGRADED. Prints {@code RESULT degradedMs releasedMs readyMs outcome}.
 */
public final class KernelBlackholeMain {

    public static void main(String[] args) throws Exception {
        run("ip", "link", "set", "lo", "up");
        String result;
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-kernel-blackhole")) {
            String port = String.valueOf(db.port());
            Warden warden = Warden.create(WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl())
                    .poolMaxSize(6).rideThrough(Duration.ZERO).applicationName("kernel-blackhole").build());
            AtomicLong degradedAt = new AtomicLong();
            AtomicLong readyAt = new AtomicLong();
            warden.lifecycle().addListener(t -> {
                if (t.to() == State.DEGRADED) {
                    degradedAt.set(System.nanoTime());
                } else if (t.to() == State.READY) {
                    readyAt.set(System.nanoTime());
                }
            });
            warden.start();
            warden.useTransaction(tx -> {
                try (Statement st = tx.connection().createStatement()) {
                    st.execute("create table if not exists kb (id bigserial primary key)");
                }
            });
            AtomicBoolean running = new AtomicBoolean(true);
            List<Thread> writers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                writers.add(Thread.ofPlatform().daemon().start(() -> {
                    for (int n = 0; n < 1_000_000 && running.get(); n++) {
                        try {
                            warden.useTransaction(tx -> {
                                try (Statement st = tx.connection().createStatement()) {
                                    st.execute("insert into kb default values");
                                }
                            });
                        } catch (RuntimeException e) {
                            pause();
                        }
                    }
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (warden.health().transactions().committed() < 50 && System.nanoTime() < deadline) {
                pause();
            }
            long cut = System.nanoTime();
            run("iptables", "-I", "INPUT", "-p", "tcp", "--dport", port, "-j", "DROP");
            run("iptables", "-I", "INPUT", "-p", "tcp", "--sport", port, "-j", "DROP");
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (degradedAt.get() == 0 && System.nanoTime() < deadline) {
                pause();
            }
            running.set(false);
            long releasedAt = 0;
            for (Thread t : writers) {
                t.join(20_000);
            }
            if (writers.stream().noneMatch(Thread::isAlive)) {
                releasedAt = System.nanoTime();
            }
            String outcome = String.valueOf(warden.health().monitor().lastProbe().outcome());
            readyAt.set(0);
            long healed = System.nanoTime();
            run("iptables", "-D", "INPUT", "-p", "tcp", "--dport", port, "-j", "DROP");
            run("iptables", "-D", "INPUT", "-p", "tcp", "--sport", port, "-j", "DROP");
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (readyAt.get() == 0 && System.nanoTime() < deadline) {
                pause();
            }
            result = "RESULT " + ms(degradedAt.get(), cut) + " " + ms(releasedAt, cut) + " "
                    + ms(readyAt.get(), healed) + " " + outcome;
            warden.close();
        } // the server stops here, before the result is printed: nothing outlives the namespace's JVM
        System.out.println(result);
        System.exit(0);
    }

    private static long ms(long at, long from) {
        return at == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(at - from);
    }

    private static void pause() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + new String(p.getInputStream().readAllBytes()));
        }
    }
}
