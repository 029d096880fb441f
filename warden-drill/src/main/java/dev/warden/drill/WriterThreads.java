package dev.warden.drill;

import picocli.CommandLine.Option;

/** {@code --threads}, shared as a picocli {@code @Mixin} by the drills whose clients each run writer threads. */
public final class WriterThreads {

    @Option(names = "--threads", defaultValue = "4", description = "Writer threads per client (default ${DEFAULT-VALUE}).")
    int threads;

    /** How many writer threads each client runs. */
    public int count() {
        return threads;
    }
}
