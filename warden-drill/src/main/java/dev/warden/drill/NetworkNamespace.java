package dev.warden.drill;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace of the drill's own ({@code unshare -n}, loopback up), where a drill may make
 * kernel blackholes with iptables as root; its rules and loopback vanish with it. The matrix and
 * partition drills run themselves again in one.
 */
public final class NetworkNamespace {

    /** Set in the environment of a drill run again in its own namespace. */
    static final String IN_NAMESPACE = "WARDEN_MATRIX_NETNS";

    private NetworkNamespace() {
    }

    /** True when this process runs in a namespace of its own (made by {@link #rerun(List)}). */
    public static boolean inOwn() {
        return System.getenv(IN_NAMESPACE) != null;
    }

    /** True when this process may make a namespace of its own and use iptables in it (root, unshare, iptables). */
    public static boolean available() {
        try {
            Process p = new ProcessBuilder("unshare", "-n", "--", "sh", "-c", "ip link set lo up && iptables -L INPUT -n")
                    .redirectErrorStream(true).start();
            p.getInputStream().transferTo(OutputStream.nullOutputStream());
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Runs the command line {@code args} again in a network namespace of its own (loopback up),
     * output passed through; returns its exit code.
     */
    public static int rerun(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("unshare", "-n", "--", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""));
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), WardenCli.class.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put(IN_NAMESPACE, "1");
        Process p = pb.start();
        return p.waitFor();
    }
}
