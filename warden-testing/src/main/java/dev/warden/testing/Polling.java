package dev.warden.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Bounded waits of the process helpers: a probe polled every 100 ms, a process's exit. */
final class Polling {

    private Polling() {
    }

    /**
     * The first non-null answer of {@code probe}; after {@code deadline} (or on interruption) an
     * {@link IllegalStateException} "No {@code what} within … s" followed by {@code diagnostics}.
     */
    static <T> T await(Duration deadline, String what, Supplier<T> probe, Supplier<String> diagnostics) {
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            T t = probe.get();
            if (t != null) {
                return t;
            }
            if (System.nanoTime() - end > 0 || Thread.currentThread().isInterrupted()) {
                throw new IllegalStateException("No " + what + " within " + deadline.toSeconds() + " s" + diagnostics.get());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits at most 30 s for {@code p} to exit. */
    static void waitFor(Process p) {
        try {
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
