package dev.warden.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads the JMH JSON files of one {@code bench/run} (one file per fork, named
 * {@code <Class>.<method>.<round>.json}) and prints, per benchmark class, each variant's score and
 * its ratio to {@code handWritten} of the same round, as median with min–max spread over rounds;
 * writes the same as {@code summary.json}.
 */
public final class BenchReport {

    private BenchReport() {
    }

    record Fork(String clazz, String method, int round, double score, String unit, Double bytesPerOp) {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "bench/results/latest");
        ObjectMapper json = new ObjectMapper();
        List<Fork> forks = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches(".+\\..+\\.\\d+\\.json")).toList()) {
                String[] parts = f.getFileName().toString().split("\\.");
                for (JsonNode run : json.readTree(f.toFile())) {
                    JsonNode pm = run.get("primaryMetric");
                    JsonNode gc = run.path("secondaryMetrics").get("gc.alloc.rate.norm");
                    forks.add(new Fork(parts[0], parts[1], Integer.parseInt(parts[2]), pm.get("score").asDouble(),
                            pm.get("scoreUnit").asText(), gc == null ? null : gc.get("score").asDouble()));
                }
            }
        }
        Map<String, Map<String, List<Fork>>> byClass = new TreeMap<>();
        for (Fork f : forks) {
            byClass.computeIfAbsent(f.clazz(), k -> new TreeMap<>()).computeIfAbsent(f.method(), k -> new ArrayList<>()).add(f);
        }
        ObjectNode summary = json.createObjectNode();
        StringBuilder table = new StringBuilder();
        table.append(String.format("%-16s %-16s %6s %14s %24s %12s %12s%n", "benchmark", "variant", "forks",
                "score (median)", "ratio vs handWritten", "B/op", "extra B/op"));
        for (var cls : byClass.entrySet()) {
            List<Fork> base = cls.getValue().get("handWritten");
            ArrayNode rows = summary.putArray(cls.getKey());
            for (var m : cls.getValue().entrySet()) {
                List<Fork> fs = m.getValue();
                double score = median(fs.stream().map(Fork::score).toList());
                List<Double> ratios = new ArrayList<>();
                if (base != null) {
                    for (Fork f : fs) {
                        base.stream().filter(b -> b.round() == f.round()).findFirst()
                                .ifPresent(b -> ratios.add(f.score() / b.score()));
                    }
                }
                Double bytes = fs.get(0).bytesPerOp() == null ? null
                        : median(fs.stream().map(Fork::bytesPerOp).toList());
                Double baseBytes = base == null || base.get(0).bytesPerOp() == null ? null
                        : median(base.stream().map(Fork::bytesPerOp).toList());
                String ratio = ratios.isEmpty() ? "-" : String.format("%.3f (%.3f–%.3f)", median(ratios),
                        ratios.stream().mapToDouble(d -> d).min().orElse(0), ratios.stream().mapToDouble(d -> d).max().orElse(0));
                table.append(String.format("%-16s %-16s %6d %11.3f %-2s %24s %12s %12s%n", cls.getKey(), m.getKey(),
                        fs.size(), score, shortUnit(fs.get(0).unit()), ratio,
                        bytes == null ? "-" : String.format("%.0f", bytes),
                        bytes == null || baseBytes == null ? "-" : String.format("%+.0f", bytes - baseBytes)));
                ObjectNode row = rows.addObject();
                row.put("variant", m.getKey());
                row.put("forks", fs.size());
                row.put("score_median", score);
                row.put("unit", fs.get(0).unit());
                if (!ratios.isEmpty()) {
                    row.put("ratio_median", median(ratios));
                    row.put("ratio_min", ratios.stream().mapToDouble(d -> d).min().orElse(0));
                    row.put("ratio_max", ratios.stream().mapToDouble(d -> d).max().orElse(0));
                }
                if (bytes != null) {
                    row.put("bytes_per_op", bytes);
                }
                if (bytes != null && baseBytes != null) {
                    row.put("extra_bytes_per_op", bytes - baseBytes);
                }
            }
        }
        System.out.print(table);
        json.enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("summary.json").toFile(), summary);
        Files.writeString(dir.resolve("summary.txt"), table);
    }

    private static String shortUnit(String unit) {
        return unit.replace("/op", "").replace("us", "µs");
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
