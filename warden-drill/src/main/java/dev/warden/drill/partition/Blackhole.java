package dev.warden.drill.partition;

import dev.warden.drill.NetworkNamespace;
import dev.warden.testing.Fault;
import dev.warden.testing.FaultProxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A silent network between a drill's client and its server, two ways. {@link #kernel(int)}: iptables
 * drops every packet to and from the server's port, SYNs included (in the drill's own network
 * namespace: root); Warden sees no TCP answer, a gone network. {@link #proxy(FaultProxy)}: the fault
 * proxy holds the traffic; its own kernel still completes TCP handshakes, so Warden sees a live host
 * whose server is silent.
 */
abstract class Blackhole implements AutoCloseable {

    /** Silences everything, open connections and new ones. */
    abstract void cut() throws Exception;

    /** Lets everything through again. */
    abstract void heal() throws Exception;

    /** Lets new connections through; those open at the cut stay silent (a dead host replaced). */
    abstract void healForNewOnly() throws Exception;

    /** True when the client can see the silence for what it is (no TCP answer). */
    abstract boolean kernel();

    static Blackhole proxy(FaultProxy proxy) {
        return new Blackhole() {
            @Override
            void cut() {
                proxy.set(Fault.BLACKHOLE);
            }

            @Override
            void heal() {
                proxy.set(Fault.PASS);
            }

            @Override
            void healForNewOnly() {
                proxy.setForNew(Fault.PASS);
            }

            @Override
            boolean kernel() {
                return false;
            }

            @Override
            public void close() {
                proxy.close();
            }
        };
    }

    static Blackhole kernel(int port) {
        return new Blackhole() {
            private final List<List<String>> rules = new ArrayList<>();

            @Override
            void cut() throws Exception {
                add(List.of("--dport", String.valueOf(port)));
                add(List.of("--sport", String.valueOf(port)));
            }

            @Override
            void heal() throws Exception {
                for (List<String> r : List.copyOf(rules)) {
                    iptables("-D", r);
                    rules.remove(r);
                }
            }

            @Override
            void healForNewOnly() throws Exception {
                // The connections open now keep being dropped, by their client port; then the port opens.
                Process ss = new ProcessBuilder("ss", "-Htn", "state", "established", "( dport = :" + port + " )")
                        .redirectErrorStream(true).start();
                String out = new String(ss.getInputStream().readAllBytes());
                ss.waitFor(10, TimeUnit.SECONDS);
                List<List<String>> global = List.copyOf(rules);
                for (String line : out.split("\n")) {
                    String[] cols = line.trim().split("\\s+");
                    if (cols.length < 4) {
                        continue;
                    }
                    String local = cols[cols.length - 2];
                    String clientPort = local.substring(local.lastIndexOf(':') + 1);
                    add(List.of("--sport", clientPort, "--dport", String.valueOf(port)));
                    add(List.of("--sport", String.valueOf(port), "--dport", clientPort));
                }
                for (List<String> r : global) {
                    iptables("-D", r);
                    rules.remove(r);
                }
            }

            @Override
            boolean kernel() {
                return true;
            }

            @Override
            public void close() throws Exception {
                heal();
            }

            private void add(List<String> match) throws Exception {
                iptables("-I", match);
                rules.add(match);
            }
        };
    }

    private static void iptables(String op, List<String> match) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("iptables", op, "INPUT", "-p", "tcp"));
        cmd.addAll(match);
        cmd.addAll(List.of("-j", "DROP"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    /** True when this process may make kernel blackholes: in its own network namespace, as root. */
    static boolean inOwnNamespace() {
        return NetworkNamespace.inOwn();
    }
}
