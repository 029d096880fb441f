package dev.warden.drill;

import java.util.Collection;

/**
 * Request latency in milliseconds (one decimal): median, 99th percentile and maximum. Drills print it
 * flat, named by their own convention through {@code @JsonUnwrapped(prefix = "latency_ms_")}
 * ({@code latency_ms_p99}) or {@code @JsonUnwrapped(suffix = "_ms")} ({@code p99_ms}).
 */
public record Latency(double p50, double p99, double max) {

    /** The latency of requests that took {@code nanos} each (all 0 when there are none). */
    public static Latency ofNanos(Collection<Long> nanos) {
        return new Latency(Figures.millis(Figures.percentile(nanos, 0.50)),
                Figures.millis(Figures.percentile(nanos, 0.99)), Figures.millis(Figures.percentile(nanos, 1.0)));
    }
}
