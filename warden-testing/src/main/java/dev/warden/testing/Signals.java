package dev.warden.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * POSIX signals to other processes, for faults made for real: {@code STOP}/{@code CONT} stall a
 * server (a VM pause, a storage brownout) without root; {@code KILL} is a crash; {@code TERM} a
 * clean stop. Uses the system's {@code kill} command.
 */
public final class Signals {

    private Signals() {
    }

    /** Sends {@code signal} (e.g. {@code "STOP"}, {@code "CONT"}, {@code "KILL"}, {@code "TERM"}) to the pids. */
    public static void send(String signal, long... pids) {
        if (pids.length == 0) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + signal));
        for (long pid : pids) {
            cmd.add(Long.toString(pid));
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not return within 10 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: "
                        + new String(p.getInputStream().readAllBytes()).strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException("Could not run " + String.join(" ", cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + String.join(" ", cmd), e);
        }
    }

    /**
     * Stops a process and every descendant for a stall, without the race of listing first: the
     * parent is stopped first, so it forks nothing afterwards, then its descendants are listed and
     * stopped until a listing finds none new (a child forked just before the parent stopped, such as
     * a backend for a connection being opened, would otherwise keep running and answer). Processes
     * that exit meanwhile are no failure.
     *
     * @return every pid stopped, parent first, for {@link #continueAll(long...)}
     */
    public static long[] stopTree(long pid) {
        List<Long> stopped = new ArrayList<>();
        sendToLiving("STOP", pid);
        stopped.add(pid);
        for (int round = 0; round < 20; round++) {
            List<Long> fresh = ProcessHandle.of(pid).stream().flatMap(ProcessHandle::descendants)
                    .map(ProcessHandle::pid).filter(p -> !stopped.contains(p)).toList();
            if (fresh.isEmpty()) {
                break;
            }
            sendToLiving("STOP", fresh.stream().mapToLong(Long::longValue).toArray());
            stopped.addAll(fresh);
        }
        return stopped.stream().mapToLong(Long::longValue).toArray();
    }

    /** Continues stopped processes (see {@link #stopTree(long)}); ones that have exited are no failure. */
    public static void continueAll(long... pids) {
        sendToLiving("CONT", pids);
    }

    /** {@link #send} that tolerates pids that have exited: {@code kill} still signals the others. */
    private static void sendToLiving(String signal, long... pids) {
        try {
            send(signal, pids);
        } catch (IllegalStateException e) {
            if (!String.valueOf(e.getMessage()).contains("No such process")) {
                throw e;
            }
        }
    }

    /** The process and all its descendants, parent first (e.g. a postmaster and its backends). */
    public static long[] withDescendants(long pid) {
        List<Long> all = new ArrayList<>();
        all.add(pid);
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> all.add(d.pid())));
        return all.stream().mapToLong(Long::longValue).toArray();
    }
}
