package dev.warden.drill.partition;

import dev.warden.drill.Figures;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** The partition drill's figures and targets, from its timeline of blackholes and writes. */
final class PartitionFigures {

    /** Targets of issue 12 (a 2-core machine). */
    static final long DEGRADED_MS_MAX = 1500;
    static final double FAIL_FAST_MS_P99 = 10;
    static final long INFLIGHT_RELEASED_MS_MAX = 2500;
    static final long READY_AFTER_HEAL_MS_MAX = 1000;
    static final double THROUGHPUT_RATIO_MIN = 0.9;

    private PartitionFigures() {
    }

    /**
     * The drill's figures from its blackholes, its writes and the ids found in the table;
     * {@code ok} says whether every target holds, {@code failed_targets} which do not.
     */
    static Map<String, Object> of(List<PartitionDrill.Partition> done, Collection<PartitionDrill.Write> writes,
                                  Set<UUID> present, long hung) {
        long acknowledged = 0;
        long lost = 0;
        long unknown = 0;
        long unknownApplied = 0;
        long refusedAfterRunning = 0;
        for (PartitionDrill.Write w : writes) {
            if (w.outcome == PartitionDrill.Outcome.ACKNOWLEDGED) {
                acknowledged++;
                if (!present.contains(w.id)) {
                    lost++;
                }
            } else if (w.outcome == PartitionDrill.Outcome.COMMIT_UNKNOWN) {
                unknown++;
                if (present.contains(w.id)) {
                    unknownApplied++;
                }
            } else if (w.outcome == PartitionDrill.Outcome.REFUSED && w.ran) {
                refusedAfterRunning++; // "refused, the work was not run" for work that ran: a wrong message
            }
        }
        List<Long> failFast = new ArrayList<>();
        long degradedMax = 0;
        long startedBeforeDegradedMax = 0;
        long releasedMax = 0;
        long readyMax = 0;
        double ratioMin = Double.MAX_VALUE;
        int activeAtDegradedMin = Integer.MAX_VALUE;
        List<Map<String, Object>> each = new ArrayList<>();
        for (PartitionDrill.Partition p : done) {
            long degradedAt = p.degraded == 0 ? p.heal : p.degraded;
            long degradedMs = ms(degradedAt - p.cut);
            long startedBefore = 0;
            long released = 0;
            for (PartitionDrill.Write w : writes) {
                long end = w.end == 0 ? Long.MAX_VALUE / 2 : w.end;
                if (w.start >= degradedAt && w.start < p.heal) {
                    failFast.add(end - w.start);
                }
                if (w.start >= p.cut && w.start < degradedAt) {
                    startedBefore = Math.max(startedBefore, ms(end - w.start));
                }
                if (w.start < degradedAt && end > p.cut && w.start < p.heal) {
                    released = Math.max(released, ms(end - p.cut));
                }
            }
            long readyMs = ms(p.ready - p.heal);
            double ratio = p.before == 0 ? 0 : p.after / p.before;
            degradedMax = Math.max(degradedMax, degradedMs);
            startedBeforeDegradedMax = Math.max(startedBeforeDegradedMax, startedBefore);
            releasedMax = Math.max(releasedMax, released);
            readyMax = Math.max(readyMax, readyMs);
            ratioMin = Math.min(ratioMin, ratio);
            activeAtDegradedMin = Math.min(activeAtDegradedMin, p.activeAtDegraded);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("seconds", ms(p.heal - p.cut) / 1000.0);
            e.put("degraded_ms", p.degraded == 0 ? null : degradedMs);
            e.put("pool_active_at_degraded", p.activeAtDegraded);
            e.put("started_before_degraded_ms_max", startedBefore);
            e.put("inflight_released_ms", released);
            e.put("ready_after_heal_ms", readyMs);
            e.put("pool_full_after_ready_ms", ms(p.refilled - p.ready));
            e.put("writes_per_s_before", Math.round(p.before));
            e.put("writes_per_s_after", Math.round(p.after));
            // Second by second: a dip right after READY (the pool refilling) reads differently from
            // a window that is slow throughout (the machine busy with something else).
            e.put("writes_by_second_before", bySecond(writes, p.cut - p.windowNanos, p.cut));
            e.put("writes_by_second_after", bySecond(writes, p.ready, p.ready + p.windowNanos));
            each.add(e);
        }
        double failFastP99 = Figures.millis(Figures.percentile(failFast, 0.99));
        boolean everyDegraded = done.stream().allMatch(p -> p.degraded != 0);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("partitions", done.size());
        f.put("degraded_ms_max", degradedMax);
        f.put("fail_fast_ms_p99", failFastP99);
        f.put("started_before_degraded_ms_max", startedBeforeDegradedMax);
        f.put("inflight_released_ms_max", releasedMax);
        f.put("ready_after_heal_ms_max", readyMax);
        f.put("throughput_after_heal_ratio", done.isEmpty() ? 0 : Math.round(ratioMin * 1000) / 1000.0);
        f.put("acknowledged_writes", acknowledged);
        f.put("lost_writes", lost);
        f.put("commit_unknown", unknown);
        f.put("commit_unknown_applied", unknownApplied);
        f.put("hung_threads_at_end", hung);
        f.put("refused_after_running", refusedAfterRunning);
        f.put("pool_active_at_degraded_min", done.isEmpty() ? 0 : activeAtDegradedMin);
        f.put("each", each);
        List<String> failed = new ArrayList<>();
        check(failed, everyDegraded, "every blackhole made Warden DEGRADED");
        check(failed, degradedMax <= DEGRADED_MS_MAX, "degraded_ms_max <= " + DEGRADED_MS_MAX);
        check(failed, failFastP99 <= FAIL_FAST_MS_P99, "fail_fast_ms_p99 <= " + FAIL_FAST_MS_P99);
        check(failed, releasedMax <= INFLIGHT_RELEASED_MS_MAX, "inflight_released_ms_max <= " + INFLIGHT_RELEASED_MS_MAX);
        check(failed, readyMax <= READY_AFTER_HEAL_MS_MAX, "ready_after_heal_ms_max <= " + READY_AFTER_HEAL_MS_MAX);
        check(failed, done.isEmpty() || ratioMin >= THROUGHPUT_RATIO_MIN, "throughput_after_heal_ratio >= " + THROUGHPUT_RATIO_MIN);
        check(failed, lost == 0, "lost_writes == 0");
        check(failed, hung == 0, "hung_threads_at_end == 0");
        check(failed, refusedAfterRunning == 0, "refused_after_running == 0");
        f.put("failed_targets", failed);
        f.put("ok", failed.isEmpty());
        return f;
    }

    /** Acknowledged writes that ended in each whole second of [from, to). */
    private static List<Long> bySecond(Collection<PartitionDrill.Write> writes, long from, long to) {
        long second = TimeUnit.SECONDS.toNanos(1);
        long[] counts = new long[(int) Math.max(0, (to - from) / second)];
        for (PartitionDrill.Write w : writes) {
            if (w.outcome == PartitionDrill.Outcome.ACKNOWLEDGED && w.end >= from && w.end < from + counts.length * second) {
                counts[(int) ((w.end - from) / second)]++;
            }
        }
        return java.util.Arrays.stream(counts).boxed().toList();
    }

    private static void check(List<String> failed, boolean holds, String target) {
        if (!holds) {
            failed.add(target);
        }
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
