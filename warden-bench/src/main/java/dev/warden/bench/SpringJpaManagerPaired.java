package dev.warden.bench;

import dev.warden.Warden;
import dev.warden.spring.WardenDataSource;
import dev.warden.spring.WardenJpaTransactionManager;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.orm.jpa.SharedEntityManagerCreator;
import org.springframework.orm.jpa.persistenceunit.PersistenceManagedTypes;
import org.springframework.orm.jpa.vendor.HibernateJpaVendorAdapter;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Spring Data JPA's usual unit of work, a {@code TransactionTemplate} around an entity loaded by id and
 * changed (Hibernate: a select, an update at flush, the commit), on the starter's
 * {@link WardenJpaTransactionManager} with an EntityManagerFactory on {@link WardenDataSource} (what the
 * starter wires in a JPA application) against Spring's own {@link JpaTransactionManager} with an
 * EntityManagerFactory on Warden's pool directly: the same HikariCP pool, the same PostgreSQL, the same
 * Hibernate settings, paired in one JVM block by block like {@link PairedRoundTrip} (each round's
 * {@code wardenJpaTxManager} block divided by that round's {@code jpaTxManager} block). A third side,
 * {@code jpaTxManagerOnWardenDs} (Spring's manager on {@link WardenDataSource}), tells the DataSource's
 * share (readiness gate, SQL guard, auto-commit flips) from the manager's.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.warden.bench.SpringJpaManagerPaired [--rounds N]
 * [--block-size M] [--warmup-rounds W] [--json FILE]}; {@code -Dwarden.bench.db.url} as for
 * {@link PairedRoundTrip}.
 */
public final class SpringJpaManagerPaired {

    /** One side: a transaction template and the shared EntityManager that works inside it. */
    record Side(String name, TransactionTemplate tx, EntityManager em) {
        int run() {
            int id = TxRoundTripPg.id();
            Integer n = tx.execute(status -> {
                em.find(BenchItem.class, id).increment();
                return 1;
            });
            return n == null ? 0 : n;
        }
    }

    private SpringJpaManagerPaired() {
    }

    public static void main(String[] args) throws Exception {
        PairedRoundTrip.Options o = PairedRoundTrip.Options.parse("SpringJpaManagerPaired", 300, args);
        List<PairedRoundTrip.Figures> figures = run(o.rounds(), o.blockSize(), o.warmupRounds());
        System.out.print(table(figures, o.rounds(), o.blockSize()));
        System.out.print(allocations());
        if (o.json() != null) {
            Files.writeString(o.json(), PairedRoundTrip.json(figures, o.rounds(), o.blockSize())
                    .replace("TxRoundTripPg.paired", "SpringJpaManager.paired"));
        }
    }

    static List<PairedRoundTrip.Figures> run(int rounds, int blockSize, int warmupRounds) {
        PgBench.Db db = PgBench.start();
        try (Warden warden = PgBench.warden(db)) {
            EntityManagerFactory springEmf = emf(warden.dataSource());
            WardenDataSource wardenDs = new WardenDataSource(warden);
            EntityManagerFactory wardenEmf = emf(wardenDs);
            EntityManagerFactory springOnWardenDsEmf = emf(wardenDs);
            try {
                PlatformTransactionManager spring = new JpaTransactionManager(springEmf);
                PlatformTransactionManager wardenTm = new WardenJpaTransactionManager(wardenEmf);
                List<Side> sides = List.of(
                        new Side("jpaTxManager", new TransactionTemplate(spring),
                                SharedEntityManagerCreator.createSharedEntityManager(springEmf)),
                        new Side("wardenJpaTxManager", new TransactionTemplate(wardenTm),
                                SharedEntityManagerCreator.createSharedEntityManager(wardenEmf)),
                        // Spring's manager on Warden's DataSource: what the DataSource costs apart from the manager
                        new Side("jpaTxManagerOnWardenDs",
                                new TransactionTemplate(new JpaTransactionManager(springOnWardenDsEmf)),
                                SharedEntityManagerCreator.createSharedEntityManager(springOnWardenDsEmf)));
                ALLOCATED.clear();
                double[][] perTx = PairedRoundTrip.rotated(sides.size(), rounds, blockSize, warmupRounds,
                        v -> block(sides.get(v), blockSize));
                return PairedRoundTrip.figures(sides.stream().map(Side::name).toList(), perTx);
            } finally {
                springOnWardenDsEmf.close();
                wardenEmf.close();
                springEmf.close();
            }
        } finally {
            db.close();
        }
    }

    /**
     * Hibernate on {@code dataSource}, with the settings the starter gives it (its dialect without a
     * connection at start-up, no schema generation), the same for both sides.
     */
    static EntityManagerFactory emf(DataSource dataSource) {
        LocalContainerEntityManagerFactoryBean factory = new LocalContainerEntityManagerFactoryBean();
        factory.setDataSource(dataSource);
        factory.setJpaVendorAdapter(new HibernateJpaVendorAdapter());
        factory.setManagedTypes(PersistenceManagedTypes.of(BenchItem.class.getName()));
        factory.setPersistenceUnitName("bench-" + System.identityHashCode(dataSource));
        factory.setJpaPropertyMap(Map.of(
                "hibernate.boot.allow_jdbc_metadata_access", "false",
                "jakarta.persistence.database-product-name", "PostgreSQL",
                "jakarta.persistence.database-major-version", "17",
                "hibernate.hbm2ddl.auto", "none"));
        factory.afterPropertiesSet();
        return factory.getObject();
    }

    /** Bytes allocated by the benchmark thread per side (warm-up included), and transactions run. */
    private static final Map<String, long[]> ALLOCATED = new java.util.LinkedHashMap<>();
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    /** Bytes allocated per transaction on the benchmark thread, per side: what each manager costs the GC. */
    static String allocations() {
        StringBuilder b = new StringBuilder("allocated per transaction (benchmark thread):\n");
        ALLOCATED.forEach((name, a) -> b.append(String.format("%-24s %8.0f bytes%n", name, (double) a[0] / a[1])));
        return b.toString();
    }

    private static long block(Side side, int size) {
        long sink = 0;
        long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        for (int i = 0; i < size; i++) {
            sink += side.run();
        }
        long took = System.nanoTime() - start;
        long[] a = ALLOCATED.computeIfAbsent(side.name(), k -> new long[2]);
        a[0] += THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;
        a[1] += size;
        if (sink != size) {
            throw new IllegalStateException(side.name() + ": expected " + size + " transactions, got " + sink);
        }
        return took;
    }

    static String table(List<PairedRoundTrip.Figures> figures, int rounds, int blockSize) {
        return PairedRoundTrip.table(figures, rounds, blockSize)
                .replace("TxRoundTripPg paired in one JVM", "Spring TransactionTemplate + JPA find-and-change,"
                        + " paired in one JVM (ratio against jpaTxManager)");
    }
}
