package dev.warden.drill;

import dev.warden.State;
import dev.warden.Warden;
import java.util.LinkedHashMap;
import java.util.Map;
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
     * Figures of the fault that started at {@code start} and whose phase ended at {@code end}:
     * {@code degraded_after_ms} (null if Warden stayed READY), {@code ready_after_ms} and
     * {@code first_commit_after_ready_ms} (null when there was no DEGRADED, or no READY after it).
     */
    public Map<String, Object> phase(long start, long end, WriteClient warden) {
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
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("degraded_after_ms", degraded == 0 ? null : (degraded - start) / 1_000_000);
        p.put("ready_after_ms", ready == 0 ? null : (ready - start) / 1_000_000);
        long first = ready == 0 ? 0 : warden.firstCommitAtOrAfter(ready);
        p.put("first_commit_after_ready_ms", first == 0 ? null : Figures.millis(first - ready));
        return p;
    }
}
