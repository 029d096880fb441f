package dev.warden.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real separate JVM running a main class on this JVM's class path, for guarantees across
 * processes: start it, read its output line by line, wait for a line such as {@code READY {json}},
 * signal it (SIGTERM, SIGKILL, SIGSTOP), and make sure it is gone afterwards ({@link #close()}).
 * <pre>{@code
 * try (ChildJvm child = ChildJvm.builder(MyMain.class).env("WARDEN_DB_URL", url).start()) {
 *     String ready = child.awaitLine("READY ", Duration.ofSeconds(60));
 *     child.signal("TERM");
 *     assertThat(child.awaitExit(Duration.ofSeconds(30))).hasValue(0);
 * }
 * }</pre>
 */
public final class ChildJvm implements AutoCloseable {

    private final Process process;
    /** Appended to by the reader only; a busy child prints many lines, so no copy-on-write list. */
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final Writer outputFile; // a null writer when kept in memory only
    private final Thread reader;

    /** This child writes the shared class archive as it exits: {@link #close()} lets it. */
    private final boolean writesArchive;

    private ChildJvm(Process process, String name, Writer outputFile, boolean writesArchive) {
        this.process = process;
        this.outputFile = outputFile;
        this.writesArchive = writesArchive;
        this.reader = Thread.ofPlatform().daemon().name("child-jvm-" + name).start(this::readOutput);
    }

    /** A builder for a JVM that runs {@code mainClass}. */
    public static Builder builder(Class<?> mainClass) {
        return new Builder(mainClass.getName());
    }

    /** A builder for a JVM that runs the main class of this name. */
    public static Builder builder(String mainClass) {
        return new Builder(mainClass);
    }

    private void readOutput() {
        boolean writing = true;
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             Writer file = outputFile) {
            for (String line; (line = in.readLine()) != null; ) {
                lines.add(line);
                if (writing) {
                    try {
                        file.write(line);
                        file.write('\n');
                        file.flush(); // a line at a time: the file is current when a test fails or the JVM dies
                    } catch (IOException e) {
                        writing = false; // a full disk must not block the child: keep reading, in memory only
                    }
                }
            }
        } catch (IOException e) {
            // the child exited; what it printed is kept
        }
    }

    /** The child's process id. */
    public long pid() {
        return process.pid();
    }

    /** The process. */
    public Process process() {
        return process;
    }

    /** Every line it printed so far (stdout and stderr merged). */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** Everything it printed so far, one line each. */
    public String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /**
     * Waits for the first line that starts with {@code prefix} and returns the rest of it (e.g. the
     * JSON after {@code "READY "}).
     *
     * @throws IllegalStateException when the child exits first or the timeout passes, with its output
     */
    public String awaitLine(String prefix, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        while (true) {
            List<String> now = lines;
            for (int i = seen; i < now.size(); i++) {
                if (now.get(i).startsWith(prefix)) {
                    return now.get(i).substring(prefix.length());
                }
            }
            seen = now.size();
            if (!process.isAlive() && !reader.isAlive()) {
                throw new IllegalStateException("The child exited with " + process.exitValue() + " before printing '"
                        + prefix + "'. Its output:\n" + output());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("No line '" + prefix + "' within " + timeout + ". Its output:\n"
                        + output());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for '" + prefix + "'", e);
            }
        }
    }

    /** Sends a signal ({@code "TERM"}, {@code "KILL"}, {@code "STOP"}, {@code "CONT"}) to the child. */
    public void signal(String signal) {
        Signals.send(signal, process.pid());
    }

    /** Waits for the child to exit; its exit code, or empty when it still runs after the timeout. */
    public Optional<Integer> awaitExit(Duration timeout) {
        try {
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                reader.join(Duration.ofSeconds(5));
                return Optional.of(process.exitValue());
            }
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * A clean stop: SIGTERM (when it still runs), then up to {@code grace} for its shutdown hooks; after
     * that it is killed as by {@link #close()}. Its exit code when it exited by itself (143 for a JVM
     * ended by SIGTERM), empty when it had to be killed.
     */
    public Optional<Integer> stop(Duration grace) {
        Optional<Integer> exit = terminate(grace);
        if (exit.isEmpty()) {
            close();
        }
        return exit;
    }

    /** SIGTERM (when it still runs), then up to {@code grace} for it to exit: its exit code, if it did. */
    private Optional<Integer> terminate(Duration grace) {
        if (process.isAlive()) {
            try {
                signal("TERM");
            } catch (IllegalStateException exitedMeanwhile) {
                // nothing left to stop: its exit code follows
            }
        }
        return awaitExit(grace);
    }

    /**
     * Kills the child (SIGCONT first, in case it was stopped, then SIGKILL) and its descendants. A
     * child that writes the shared class archive ({@link Builder#sharedClassArchive()}) is first
     * stopped with SIGTERM and given {@link ClassArchive#TIME_TO_WRITE} to write it.
     */
    @Override
    public void close() {
        if (writesArchive && process.isAlive()) {
            try {
                Signals.send("CONT", process.pid()); // a stopped child handles no SIGTERM
            } catch (IllegalStateException gone) {
                // it exited meanwhile
            }
            terminate(ClassArchive.TIME_TO_WRITE);
        }
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            try {
                Signals.send("CONT", process.pid());
            } catch (IllegalStateException gone) {
                // it exited meanwhile
            }
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** How to start the child. */
    public static final class Builder {
        private final String mainClass;
        /**
         * A small heap and the C1 compiler only: a child lives for seconds to a minute, where C2's
         * compiler threads cost CPU (scarce on a busy 2-core machine) that they never earn back.
         * {@link #jvmArgs} added later win (e.g. {@code -XX:TieredStopAtLevel=4}).
         */
        private final List<String> jvmArgs = new ArrayList<>(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"));
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new HashMap<>();
        private String classPath = System.getProperty("java.class.path");
        private final List<String> launcher = new ArrayList<>();
        private Path outputFile;
        private boolean sharedClassArchive;

        private Builder(String mainClass) {
            this.mainClass = mainClass;
        }

        /** Adds JVM options (e.g. {@code -Dkey=value}). */
        public Builder jvmArgs(String... more) {
            jvmArgs.addAll(List.of(more));
            return this;
        }

        /** Adds program arguments. */
        public Builder args(String... more) {
            args.addAll(List.of(more));
            return this;
        }

        /** Sets an environment variable. */
        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        /** Sets environment variables. */
        public Builder env(Map<String, String> values) {
            env.putAll(values);
            return this;
        }

        /**
         * A command the JVM is started under, e.g. {@code unshare -n --} for a network namespace of
         * its own.
         */
        public Builder launcher(String... command) {
            launcher.addAll(List.of(command));
            return this;
        }

        /**
         * Also writes the child's output to this file (created, or truncated), a line at a time: its
         * log stays for a look after the run, e.g. under {@code target/}. The parent directory must exist.
         */
        public Builder outputFile(Path file) {
            this.outputFile = file;
            return this;
        }

        /**
         * Loads the child's classes from an archive shared by the children on its class path
         * ({@link ClassArchive}): the first child writes it as it exits, later ones start on less CPU.
         * For a test that starts many children one after the other; children started at once gain
         * nothing, and the one that writes it pays for the writing.
         */
        public Builder sharedClassArchive() {
            this.sharedClassArchive = true;
            return this;
        }

        /** Another class path than this JVM's. */
        public Builder classPath(String path) {
            this.classPath = path;
            return this;
        }

        /** Starts it with the same java binary as this JVM. */
        public ChildJvm start() {
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> cmd = new ArrayList<>(launcher);
            cmd.add(java);
            Writer file;
            try {
                file = outputFile == null ? Writer.nullWriter() : Files.newBufferedWriter(outputFile);
            } catch (IOException e) {
                throw new UncheckedIOException("Could not open " + outputFile + " for the output of " + mainClass, e);
            }
            ProcessBuilder pb = new ProcessBuilder().redirectErrorStream(true);
            pb.environment().putAll(env);
            // Last before the start: a launch that writes the archive must be started or given back.
            ClassArchive.Launch shared = sharedClassArchive ? ClassArchive.launch(classPath, mainClass) : null;
            cmd.addAll(jvmArgs);
            if (shared != null) {
                cmd.addAll(shared.jvmOptions());
            }
            cmd.add("-cp");
            cmd.add(shared != null ? shared.classPath() : classPath);
            cmd.add(mainClass);
            cmd.addAll(args);
            pb.command(cmd);
            try {
                Process process = pb.start();
                return new ChildJvm(shared != null ? shared.started(process) : process,
                        mainClass.substring(mainClass.lastIndexOf('.') + 1), file, shared != null && shared.writesArchive());
            } catch (IOException e) {
                if (shared != null) {
                    shared.notStarted();
                }
                try {
                    file.close();
                } catch (IOException ignored) {
                    // the start failure is what matters
                }
                throw new UncheckedIOException("Could not start a JVM for " + mainClass, e);
            }
        }
    }
}
