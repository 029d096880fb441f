package dev.warden.drill;

import dev.warden.State;
import dev.warden.Warden;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Warden's state transitions with their times, and for one fault: when Warden went DEGRADED and came
 * back READY (from the fault's start), and when its client's first commit after READY completed.
 */
public final class StateTimeline {

    private final Queue<long[]> transitions = new ConcurrentLinkedQueue<>(); // {state ordinal, nanoTime}

    /** Records every transition of {@code warden} from now on. */
    public StateTimeline(Warden warden) {
        warden.lifecycle().addListener(t -> transitions.add(new long[] {t.to().ordinal(), System.nanoTime()}));
    }

    /**
     * When Warden went DEGRADED and came back READY after one fault, and its client's first commit after READY.
     *
     * @param degradedAfterMs            from the fault's start; null if Warden stayed READY
     * @param readyAfterMs               from the fault's start; null when there was no DEGRADED, or no READY after it
     * @param firstCommitAfterReadyNanos from READY; null when there was no READY, or no commit after it
     */
    public record Phase(Long degradedAfterMs, Long readyAfterMs, Long firstCommitAfterReadyNanos) {

        /** The first commit after READY in ms with one decimal, or null. */
        public Double firstCommitAfterReadyMs() {
            return firstCommitAfterReadyNanos == null ? null : Figures.millis(firstCommitAfterReadyNanos);
        }

        /** The first commit after READY in whole ms, or null. */
        public Long firstCommitAfterReadyWholeMs() {
            return firstCommitAfterReadyNanos == null ? null : firstCommitAfterReadyNanos / 1_000_000;
        }
    }

    /**
     * The phase of the fault that started at {@code start}: its DEGRADED counts when it came before
     * {@code end}, its READY whenever it came.
     */
    public Phase phase(long start, long end, WriteClient warden) {
        long degraded = 0;
        long ready = 0;
        for (long[] t : transitions) {
            if (t[1] < start) {
                continue;
            }
            if (degraded == 0 && t[1] < end && t[0] == State.DEGRADED.ordinal()) {
                degraded = t[1];
            } else if (degraded != 0 && ready == 0 && t[0] == State.READY.ordinal()) {
                ready = t[1];
            }
        }
        long first = ready == 0 ? 0 : warden.firstCommitAtOrAfter(ready);
        return new Phase(degraded == 0 ? null : (degraded - start) / 1_000_000,
                ready == 0 ? null : (ready - start) / 1_000_000, first == 0 ? null : first - ready);
    }
}
