package dev.warden.drill;

import java.util.Collection;
import java.util.List;

/** The few statistics the drills print, computed one way for all of them. */
public final class Figures {

    private Figures() {
    }

    /** The nearest-rank percentile ({@code p} from 0 to 1) of {@code values}, or 0 when there are none. */
    public static long percentile(Collection<Long> values, double p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = values.stream().sorted().toList();
        int i = (int) Math.ceil(sorted.size() * p) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** Nanoseconds as milliseconds with one decimal. */
    public static double millis(long nanos) {
        return Math.round(nanos / 100_000.0) / 10.0;
    }
}
