package dev.warden.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntToLongFunction;

/**
 * The {@link TxRoundTripPg} variants measured <em>paired</em> in one JVM: block after block, every
 * variant runs {@code blockSize} transactions in turn (the order rotates each round), and each
 * variant's block is divided by the hand-written block of the same round. Drift of a shared 2-core
 * machine (another tenant, a PostgreSQL checkpoint, the CPU clock) then falls on both sides of each
 * ratio instead of on whichever fork happened to run during it; separate JMH forks cannot cancel it.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.warden.bench.PairedRoundTrip [--rounds N]
 * [--block-size M] [--warmup-rounds W] [--json FILE]}. Uses the shared PostgreSQL when
 * {@code -Dwarden.bench.db.url} is set, else an embedded one of its own.
 */
public final class PairedRoundTrip {

    /** One variant: runs one transaction. */
    interface Tx {
        int run() throws SQLException;
    }

    /** The figures of one variant: per-transaction median time and the ratio to hand-written JDBC. */
    record Figures(String variant, double medianUs, Ratios ratios) {
    }

    /**
     * A variant's time over the hand-written block of the same round: quantiles of the per-round
     * ratios, and the ratio of the two totals over all rounds.
     */
    record Ratios(double median, double p25, double p75, double p5, double p95, double ofTotals) {
    }

    private PairedRoundTrip() {
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse("PairedRoundTrip", 200, args);
        List<Figures> figures = run(o.rounds(), o.blockSize(), o.warmupRounds());
        System.out.print(table(figures, o.rounds(), o.blockSize()));
        if (o.json() != null) {
            Files.writeString(o.json(), json(figures, o.rounds(), o.blockSize()));
        }
    }

    /**
     * What every paired benchmark takes: {@code --rounds N} (measured rounds), {@code --block-size M}
     * (transactions per block), {@code --warmup-rounds W} (rounds run first and dropped), {@code --json FILE}.
     */
    record Options(int rounds, int blockSize, int warmupRounds, Path json) {

        /** Parses {@code args} for the benchmark {@code bench} (named in errors); 100 per block, 30 warm-up rounds. */
        static Options parse(String bench, int defaultRounds, String[] args) {
            int rounds = defaultRounds;
            int blockSize = 100;
            int warmupRounds = 30;
            Path json = null;
            for (int i = 0; i < args.length; i += 2) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--rounds" -> rounds = positive(bench, "--rounds", value);
                    case "--block-size" -> blockSize = positive(bench, "--block-size", value);
                    case "--warmup-rounds" -> warmupRounds = nonNegative(bench, "--warmup-rounds", value);
                    case "--json" -> json = Path.of(require(bench, "--json", value));
                    default -> throw new IllegalArgumentException(bench + ": unknown option " + args[i]
                            + " (known: --rounds N, --block-size M, --warmup-rounds W, --json FILE)");
                }
            }
            return new Options(rounds, blockSize, warmupRounds, json);
        }
    }

    /**
     * Runs {@code n} variants block after block, round after round, the order rotated each round so
     * that no variant always runs first (or right after another); {@code block} runs one block of
     * variant v and returns its nanoseconds. Returns ns per transaction, {@code [variant][round]},
     * the warm-up rounds left out.
     */
    static double[][] rotated(int n, int rounds, int blockSize, int warmupRounds, IntToLongFunction block) {
        double[][] perTx = new double[n][rounds];
        for (int round = -warmupRounds; round < rounds; round++) {
            int shift = Math.floorMod(round, n);
            for (int k = 0; k < n; k++) {
                int v = (k + shift) % n;
                long ns = block.applyAsLong(v);
                if (round >= 0) {
                    perTx[v][round] = (double) ns / blockSize;
                }
            }
        }
        return perTx;
    }

    /** Runs the paired measurement and returns one line of figures per variant, hand-written first. */
    static List<Figures> run(int rounds, int blockSize, int warmupRounds) {
        TxRoundTripPg bench = new TxRoundTripPg();
        bench.setUp();
        try {
            Map<String, Tx> variants = new LinkedHashMap<>();
            variants.put("handWritten", bench::handWritten);
            variants.put("warden", bench::warden);
            variants.put("wardenMonitorOff", bench::wardenMonitorOff);
            variants.put("wardenVerifyCommit", bench::wardenVerifyCommit);
            variants.put("springTemplate", bench::springTemplate);
            variants.put("jdbi", bench::jdbi);
            List<String> names = new ArrayList<>(variants.keySet());
            double[][] perTx = rotated(names.size(), rounds, blockSize, warmupRounds,
                    v -> block(variants.get(names.get(v)), blockSize));
            return figures(names, perTx);
        } finally {
            bench.tearDown();
        }
    }

    /**
     * The figures of paired rounds: {@code perTx[v][round]} is variant v's time per transaction in
     * that round (ns); variant 0 is the baseline every ratio is taken against, round by round.
     */
    static List<Figures> figures(List<String> names, double[][] perTx) {
        List<Figures> out = new ArrayList<>();
        int rounds = perTx[0].length;
        double baseTotal = Arrays.stream(perTx[0]).sum();
        for (int v = 0; v < perTx.length; v++) {
            double[] ratios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratios[r] = perTx[v][r] / perTx[0][r];
            }
            Arrays.sort(ratios);
            double[] times = perTx[v].clone();
            Arrays.sort(times);
            out.add(new Figures(names.get(v), quantile(times, 0.5) / 1000.0, new Ratios(quantile(ratios, 0.5),
                    quantile(ratios, 0.25), quantile(ratios, 0.75), quantile(ratios, 0.05), quantile(ratios, 0.95),
                    Arrays.stream(perTx[v]).sum() / baseTotal)));
        }
        return out;
    }

    private static long block(Tx tx, int size) {
        long sink = 0;
        long start = System.nanoTime();
        try {
            for (int i = 0; i < size; i++) {
                sink += tx.run();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        long took = System.nanoTime() - start;
        if (sink != size) { // every update touches exactly one row: anything else is a broken variant
            throw new IllegalStateException("expected " + size + " updated rows, got " + sink);
        }
        return took;
    }

    /** Linear-interpolated quantile of sorted values. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    static String table(List<Figures> figures, int rounds, int blockSize) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "TxRoundTripPg paired in one JVM: %d rounds x %d transactions per variant%n",
                rounds, blockSize));
        sb.append(String.format(Locale.ROOT, "%-17s %11s  %-28s %-18s %s%n",
                "variant", "median/tx", "ratio median (p25–p75)", "p5–p95", "ratio of totals"));
        for (Figures f : figures) {
            Ratios r = f.ratios();
            sb.append(String.format(Locale.ROOT, "%-17s %8.1f µs  %.3f (%.3f–%.3f)%8s %.3f–%.3f %8s %.3f%n",
                    f.variant(), f.medianUs(), r.median(), r.p25(), r.p75(), "", r.p5(), r.p95(), "", r.ofTotals()));
        }
        return sb.toString();
    }

    static String json(List<Figures> figures, int rounds, int blockSize) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "{\"benchmark\":\"TxRoundTripPg.paired\",\"rounds\":%d,\"block_size\":%d,\"variants\":[",
                rounds, blockSize));
        for (int i = 0; i < figures.size(); i++) {
            Figures f = figures.get(i);
            Ratios r = f.ratios();
            sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"variant\":\"%s\",\"median_us\":%.3f,\"ratio_median\":%.4f,\"ratio_p25\":%.4f,"
                            + "\"ratio_p75\":%.4f,\"ratio_p5\":%.4f,\"ratio_p95\":%.4f,\"ratio_of_totals\":%.4f}",
                    f.variant(), f.medianUs(), r.median(), r.p25(), r.p75(), r.p5(), r.p95(), r.ofTotals()));
        }
        return sb.append("]}\n").toString();
    }

    private static String require(String bench, String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(bench + ": " + option + " needs a value");
        }
        return value;
    }

    private static int positive(String bench, String option, String value) {
        int n = integer(bench, option, value);
        if (n < 1) {
            throw new IllegalArgumentException(bench + ": " + option + " must be at least 1, got " + n);
        }
        return n;
    }

    private static int nonNegative(String bench, String option, String value) {
        int n = integer(bench, option, value);
        if (n < 0) {
            throw new IllegalArgumentException(bench + ": " + option + " must be 0 or more, got " + n);
        }
        return n;
    }

    private static int integer(String bench, String option, String value) {
        try {
            return Integer.parseInt(require(bench, option, value));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(bench + ": " + option + " must be an integer, got \"" + value + "\"");
        }
    }
}
