package dev.warden.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds the programs a {@link PatroniCluster} runs: {@code patroni}, {@code etcd} and a complete PostgreSQL. */
final class PatroniInstallation {

    private PatroniInstallation() {
    }

    /** What is missing to start a cluster, or empty when nothing is (see {@link PatroniCluster#unavailable()}). */
    static Optional<String> unavailable() {
        List<String> missing = new ArrayList<>();
        for (String program : List.of("patroni", "etcd")) {
            if (onPath(program).isEmpty()) {
                missing.add(program + " (Debian: apt-get install " + (program.equals("etcd") ? "etcd-server" : program) + ")");
            }
        }
        if (findBinDir().isEmpty()) {
            missing.add("a PostgreSQL installation with pg_basebackup and pg_controldata (Debian: apt-get install"
                    + " postgresql, or WARDEN_PATRONI_PG_BIN=<its bin directory>)");
        }
        return missing.isEmpty() ? Optional.empty() : Optional.of("missing: " + String.join("; ", missing));
    }

    static Optional<Path> onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** {@code WARDEN_PATRONI_PG_BIN}, else the newest {@code /usr/lib/postgresql/<major>/bin} with every program Patroni runs. */
    static Optional<Path> findBinDir() {
        String named = System.getenv("WARDEN_PATRONI_PG_BIN");
        if (named != null && !named.isBlank()) {
            return Optional.of(Path.of(named)).filter(PatroniInstallation::complete);
        }
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> majors = Files.list(root)) {
            return majors.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .sorted(Comparator.comparingInt((Path p) -> Integer.parseInt(p.getFileName().toString())).reversed())
                    .map(p -> p.resolve("bin")).filter(PatroniInstallation::complete).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean complete(Path bin) {
        return Stream.of("postgres", "initdb", "pg_ctl", "pg_controldata", "pg_isready", "pg_basebackup")
                .allMatch(p -> Files.isExecutable(bin.resolve(p)));
    }
}
