package dev.warden.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a hard kill (SIGKILL, an OOM kill, a closed terminal) of the process that ran an embedded
 * PostgreSQL leaves on its data directory, cleared before the next start:
 * <ul>
 *   <li>an <em>orphaned</em> server: its {@code postmaster.pid} names a live {@code postgres} process
 *       started with this data directory, while no live JVM holds the directory (zonky's
 *       {@code epg-lock} file lock, held for the life of the JVM that started it, is free). It is
 *       stopped (fast shutdown: its sessions are ended, nothing committed is lost), with one line
 *       saying so;</li>
 *   <li>a <em>stale</em> {@code postmaster.pid}: its process is gone, or the pid now belongs to
 *       another program. The file is removed, with one line saying so (PostgreSQL would refuse to
 *       start if the pid had been reused).</li>
 * </ul>
 * A directory that a live JVM holds is left alone: the start fails with a message naming it. Used by
 * {@code EmbeddedDatabase} before every start.
 */
public final class LeftoverServer {

    private static final Logger log = LoggerFactory.getLogger(LeftoverServer.class);
    /** The file zonky's EmbeddedPostgres locks in the data directory while it runs a server there. */
    static final String ZONKY_LOCK = "epg-lock";
    private static final long STOP_WAIT_SECONDS = 30;

    private LeftoverServer() {
    }

    /** Clears what a killed run left on {@code dir}; throws when a live process still uses it. */
    public static void clear(Path dir) throws IOException {
        Path pidFile = dir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        if (heldByLiveProcess(dir)) {
            throw new IOException("it is in use by another running process (it holds " + dir.resolve(ZONKY_LOCK)
                    + "), e.g. another `warden demo`; stop that one first");
        }
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
        long pid;
        try {
            pid = Long.parseLong(lines.isEmpty() ? "" : lines.get(0).strip());
        } catch (NumberFormatException e) {
            Files.deleteIfExists(pidFile);
            log.info("Removed an unreadable postmaster.pid from {} (left by a server killed while starting)", dir);
            return;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
            Files.deleteIfExists(pidFile);
            log.info("Removed a stale postmaster.pid from {}: its server (pid {}) is no longer running", dir, pid);
            return;
        }
        if (!isPostgresOf(process.get(), dir)) {
            Files.deleteIfExists(pidFile);
            log.info("Removed a stale postmaster.pid from {}: pid {} is now another program ({})", dir, pid,
                    process.get().info().command().orElse("unknown"));
            return;
        }
        log.info("Found an orphaned embedded PostgreSQL (pid {}, port {}) on {}, left running by a process that was"
                + " killed; stopping it (fast shutdown) before starting afresh", pid,
                lines.size() > 3 ? lines.get(3).strip() : "?", dir);
        stop(process.get());
    }

    /** True when another live process (or this one) holds zonky's lock on the directory. */
    private static boolean heldByLiveProcess(Path dir) throws IOException {
        Path lockFile = dir.resolve(ZONKY_LOCK);
        if (!Files.exists(lockFile)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException thisJvm) {
            return true;
        }
    }

    /** A {@code postgres} executable started with this data directory (read from its command line). */
    static boolean isPostgresOf(ProcessHandle p, Path dir) {
        ProcessHandle.Info info = p.info();
        String command = info.command().orElse("");
        String name = command.substring(command.lastIndexOf('/') + 1);
        if (!name.equals("postgres") && !name.equals("postgres.exe")) {
            return false;
        }
        String wanted = dir.toAbsolutePath().normalize().toString();
        String[] args = info.arguments().orElse(new String[0]);
        for (String arg : args) {
            if (arg.equals(wanted) || arg.equals(wanted + "/")) {
                return true;
            }
        }
        return info.commandLine().map(line -> line.contains(wanted)).orElse(false);
    }

    /**
     * Fast shutdown (SIGINT) where {@code kill} exists, else the platform's terminate; SIGKILL if it
     * has not stopped after {@value #STOP_WAIT_SECONDS} s.
     */
    private static void stop(ProcessHandle postmaster) throws IOException {
        long t0 = System.nanoTime();
        boolean signalled = false;
        try {
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(postmaster.pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            signalled = kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0;
        } catch (IOException noKillCommand) {
            // not a Unix system: terminate below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the orphaned server (pid " + postmaster.pid() + ")", e);
        }
        if (!signalled) {
            postmaster.destroy();
        }
        if (!awaitExit(postmaster, STOP_WAIT_SECONDS)) {
            log.warn("The orphaned PostgreSQL (pid {}) did not stop within {} s; killing it", postmaster.pid(),
                    STOP_WAIT_SECONDS);
            postmaster.destroyForcibly();
            if (!awaitExit(postmaster, 10)) {
                throw new IOException("the orphaned server (pid " + postmaster.pid() + ") does not stop; stop it by hand");
            }
        }
        log.info("Stopped the orphaned PostgreSQL (pid {}) in {} ms", postmaster.pid(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    private static boolean awaitExit(ProcessHandle p, long seconds) throws IOException {
        try {
            p.onExit().get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !p.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the orphaned server (pid " + p.pid() + ")", e);
        }
    }
}
