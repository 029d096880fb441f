package dev.warden.bench;

import dev.warden.Warden;
import dev.warden.spring.WardenDataSource;
import dev.warden.spring.WardenTransactionManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Spring's {@code TransactionTemplate} with a {@code JdbcTemplate} update inside, on Warden's
 * transaction manager and DataSource (what the Spring Boot starter wires) against Spring's own
 * {@code DataSourceTransactionManager}, both over the same Warden pool on the same PostgreSQL,
 * paired in one JVM block by block like {@link PairedRoundTrip}: each round's
 * {@code wardenTxManager} block is divided by that round's {@code dataSourceTxManager} block.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.warden.bench.SpringManagerPaired [--rounds N]
 * [--block-size M] [--warmup-rounds W] [--json FILE]}; {@code -Dwarden.bench.db.url} as for
 * {@link PairedRoundTrip}.
 */
public final class SpringManagerPaired {

    /** One side: a transaction template and the JDBC template that runs inside it. */
    record Side(String name, TransactionTemplate tx, JdbcTemplate jdbc) {
        int run() {
            int id = TxRoundTripPg.id();
            Integer n = tx.execute(status -> jdbc.update(TxRoundTripPg.SQL, id));
            return n == null ? 0 : n;
        }
    }

    private SpringManagerPaired() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = 300;
        int blockSize = 100;
        int warmupRounds = 30;
        Path json = null;
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null) {
                throw new IllegalArgumentException("SpringManagerPaired: " + args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(value);
                case "--block-size" -> blockSize = Integer.parseInt(value);
                case "--warmup-rounds" -> warmupRounds = Integer.parseInt(value);
                case "--json" -> json = Path.of(value);
                default -> throw new IllegalArgumentException("SpringManagerPaired: unknown option " + args[i]
                        + " (known: --rounds N, --block-size M, --warmup-rounds W, --json FILE)");
            }
        }
        List<PairedRoundTrip.Figures> figures = run(rounds, blockSize, warmupRounds);
        System.out.print(table(figures, rounds, blockSize));
        if (json != null) {
            Files.writeString(json, PairedRoundTrip.json(figures, rounds, blockSize)
                    .replace("TxRoundTripPg.paired", "SpringManager.paired"));
        }
    }

    static List<PairedRoundTrip.Figures> run(int rounds, int blockSize, int warmupRounds) {
        PgBench.Db db = PgBench.start();
        try (Warden warden = PgBench.warden(db)) {
            DataSource pool = warden.dataSource();
            PlatformTransactionManager spring = new DataSourceTransactionManager(pool);
            WardenDataSource wardenDs = new WardenDataSource(warden);
            PlatformTransactionManager wardenTm = new WardenTransactionManager(wardenDs);
            List<Side> sides = List.of(
                    new Side("dataSourceTxManager", new TransactionTemplate(spring), new JdbcTemplate(pool)),
                    new Side("wardenTxManager", new TransactionTemplate(wardenTm), new JdbcTemplate(wardenDs)));
            int n = sides.size();
            double[][] perTx = new double[n][rounds];
            for (int round = -warmupRounds; round < rounds; round++) {
                int shift = Math.floorMod(round, n);
                for (int k = 0; k < n; k++) {
                    int v = (k + shift) % n;
                    long ns = block(sides.get(v), blockSize);
                    if (round >= 0) {
                        perTx[v][round] = (double) ns / blockSize;
                    }
                }
            }
            return PairedRoundTrip.figures(sides.stream().map(Side::name).toList(), perTx);
        } finally {
            db.close();
        }
    }

    private static long block(Side side, int size) {
        long sink = 0;
        long start = System.nanoTime();
        for (int i = 0; i < size; i++) {
            sink += side.run();
        }
        long took = System.nanoTime() - start;
        if (sink != size) {
            throw new IllegalStateException(side.name() + ": expected " + size + " updated rows, got " + sink);
        }
        return took;
    }

    static String table(List<PairedRoundTrip.Figures> figures, int rounds, int blockSize) {
        return PairedRoundTrip.table(figures, rounds, blockSize)
                .replace("TxRoundTripPg paired in one JVM", "Spring TransactionTemplate + JdbcTemplate, paired in one JVM"
                        + " (ratio against dataSourceTxManager)");
    }
}
