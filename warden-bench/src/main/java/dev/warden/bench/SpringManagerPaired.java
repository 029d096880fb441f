package dev.warden.bench;

import dev.warden.Warden;
import dev.warden.spring.WardenDataSource;
import dev.warden.spring.WardenTransactionManager;
import java.nio.file.Files;
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
        PairedRoundTrip.Options o = PairedRoundTrip.Options.parse("SpringManagerPaired", 300, args);
        List<PairedRoundTrip.Figures> figures = run(o.rounds(), o.blockSize(), o.warmupRounds());
        System.out.print(table(figures, o.rounds(), o.blockSize()));
        if (o.json() != null) {
            Files.writeString(o.json(), PairedRoundTrip.json(figures, o.rounds(), o.blockSize())
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
            double[][] perTx = PairedRoundTrip.rotated(sides.size(), rounds, blockSize, warmupRounds,
                    v -> block(sides.get(v), blockSize));
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
