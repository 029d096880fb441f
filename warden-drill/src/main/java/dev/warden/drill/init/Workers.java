package dev.warden.drill.init;

import dev.warden.testing.ClassArchive;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Starts {@link InitWorker} processes: real, separate JVMs on this JVM's class path, each with its
 * own environment, stdout read line by line, stderr (its log) written to a file.
 */
public final class Workers {

    private Workers() {
    }

    /**
     * Small heaps and the C1 compiler only: eight of them start quickly on two cores. The classes come
     * from a shared archive ({@link ClassArchive}) once the first worker wrote it.
     */
    private static final List<String> JVM_OPTIONS = List.of("-Xmx160m", "-Xss512k", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");

    /** One running worker process. */
    public static final class Worker {
        private final Process process;
        private final BufferedWriter stdin;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final Path log;
        /** Writes the shared class archive as it exits ({@link ClassArchive}): given time to, when stopped. */
        private final boolean writesArchive;

        private Worker(Process process, Path log, boolean writesArchive) {
            this.process = process;
            this.log = log;
            this.writesArchive = writesArchive;
            this.stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
                lines.add("EXIT");
            }, "worker-" + process.pid() + "-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        public long pid() {
            return process.pid();
        }

        public Process process() {
            return process;
        }

        public Path log() {
            return log;
        }

        /** The next line that starts with one of {@code prefixes}, or "EXIT"/"TIMEOUT". */
        public String await(long timeoutMs, String... prefixes) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (true) {
                long left = deadline - System.nanoTime();
                String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
                if (line == null) {
                    return "TIMEOUT";
                }
                if (line.equals("EXIT")) {
                    return line;
                }
                for (String p : prefixes) {
                    if (line.startsWith(p)) {
                        return line;
                    }
                }
            }
        }

        public void send(String line) throws IOException {
            stdin.write(line);
            stdin.newLine();
            stdin.flush();
        }

        /** SIGKILL, as the kernel's OOM killer or {@code kill -9} would. */
        public void kill() {
            process.destroyForcibly();
        }

        /** Sends a POSIX signal ({@code STOP}, {@code CONT}) with {@code kill}. */
        public void signal(String name) throws IOException, InterruptedException {
            Process p = new ProcessBuilder("kill", "-" + name, String.valueOf(pid())).inheritIO().start();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("kill -" + name + " " + pid() + " failed");
            }
        }

        /**
         * Ends the process if it still runs and waits a bounded time for it. A worker that writes the
         * class archive first gets {@link ClassArchive#TIME_TO_WRITE} to exit by itself (a READY worker
         * is exiting: writing it).
         */
        public void stop() {
            try {
                if (writesArchive && process.isAlive()) {
                    process.waitFor(ClassArchive.TIME_TO_WRITE.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (process.isAlive()) {
                process.destroyForcibly();
            }
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts a worker with these extra environment variables; its log goes to {@code log}. */
    public static Worker start(Map<String, String> env, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        ProcessBuilder pb = new ProcessBuilder();
        // A worker must not inherit the caller's WARDEN_* settings: the drill sets every one it needs.
        pb.environment().keySet().removeIf(k -> k.startsWith("WARDEN_") || k.startsWith("DRILL_"));
        pb.environment().putAll(env);
        pb.redirectError(log.toFile());
        // Last before the start: a launch that writes the archive must be started or given back.
        ClassArchive.Launch shared = ClassArchive.launch(System.getProperty("java.class.path"), InitWorker.class.getName());
        cmd.addAll(JVM_OPTIONS);
        cmd.addAll(shared.jvmOptions());
        cmd.add("-cp");
        cmd.add(shared.classPath());
        cmd.add(InitWorker.class.getName());
        pb.command(cmd);
        try {
            return new Worker(shared.started(pb.start()), log, shared.writesArchive());
        } catch (IOException e) {
            shared.notStarted();
            throw e;
        }
    }
}
