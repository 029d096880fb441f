package dev.warden.drill.outage;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.warden.drill.DrillFigures;
import dev.warden.drill.Figures;
import java.util.List;

/**
 * The figures of {@code warden drill recovery}, printed as one flat JSON object: the run, each
 * client's time from "database accepting connections" to its first commit ({@code warden_…},
 * {@code hikari_…}), their ratio, and every restart's time. Passed when Warden recovered after every
 * restart.
 */
record RecoveryFigures(@JsonUnwrapped Run run, @JsonUnwrapped(prefix = "warden_") Client warden,
                       @JsonUnwrapped(prefix = "hikari_") Client hikari, Double ratioP50, List<Long> wardenRecoverMs,
                       List<Long> hikariRecoverMs) implements DrillFigures {

    /** The options the drill ran with. */
    record Run(int restarts, long downMs, int threads) {
    }

    /** One client: the median and the longest time to its first commit (-1 when none), and restarts it did not recover from within 60 s. */
    record Client(long recoverMsP50, long recoverMsMax, long notRecovered) {

        static Client of(List<Long> recoverMs, long notRecovered) {
            return new Client(p50(recoverMs), recoverMs.stream().mapToLong(Long::longValue).max().orElse(-1),
                    notRecovered);
        }
    }

    static RecoveryFigures of(Run run, List<Long> wardenMs, long wardenMissed, List<Long> hikariMs, long hikariMissed) {
        long wp = p50(wardenMs);
        long hp = p50(hikariMs);
        Double ratio = wp < 0 || hp <= 0 ? null : Math.round(100.0 * wp / hp) / 100.0;
        return new RecoveryFigures(run, Client.of(wardenMs, wardenMissed), Client.of(hikariMs, hikariMissed), ratio,
                List.copyOf(wardenMs), List.copyOf(hikariMs));
    }

    /** The median, or -1 when nothing was measured. */
    private static long p50(List<Long> values) {
        return values.isEmpty() ? -1 : Figures.percentile(values, 0.5);
    }

    @Override
    public boolean passed() {
        return warden.notRecovered() == 0;
    }

    @Override
    public String summary() {
        return """
                recovery drill: %s restarts, database down %s ms each, %s writer threads per client
                  database accepting connections -> first commit:
                    Warden (defaults)    p50 %s ms, max %s ms
                    HikariCP (defaults)  p50 %s ms, max %s ms   (%s restart(s) with no commit within 60 s)
                  ratio Warden / HikariCP p50: %s""".formatted(run.restarts(), run.downMs(), run.threads(),
                warden.recoverMsP50(), warden.recoverMsMax(), hikari.recoverMsP50(), hikari.recoverMsMax(),
                hikari.notRecovered(), ratioP50);
    }
}
