package dev.warden.bench;

import dev.warden.Warden;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A single-row update by primary key in one transaction on embedded PostgreSQL over loopback.
 * Every variant runs on the same HikariCP pool (Warden's, so the settings are identical).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TxRoundTripPg {

    static final String SQL = "update item set n = n + 1 where id = ?";

    PgBench.Db db;
    Warden warden;
    Warden wardenMonitorOff;
    DataSource pool;
    TransactionTemplate spring;
    Jdbi jdbi;

    @Setup(Level.Trial)
    public void setUp() {
        db = PgBench.start();
        warden = PgBench.warden(db);
        // A second Warden on the same database with no health monitor; its pool has the same settings.
        wardenMonitorOff = PgBench.warden(db, false);
        pool = warden.dataSource();
        spring = new TransactionTemplate(new DataSourceTransactionManager(pool));
        jdbi = Jdbi.create(pool);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        warden.close();
        wardenMonitorOff.close();
        db.close();
    }

    static int id() {
        return 1 + ThreadLocalRandom.current().nextInt(PgBench.ROWS);
    }

    static int update(Connection c, int id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL)) {
            ps.setInt(1, id);
            return ps.executeUpdate();
        }
    }

    /** The baseline: get connection, auto-commit off, execute, commit, close. */
    @Benchmark
    public int handWritten() throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                int n = update(c, id());
                c.commit();
                return n;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    @Benchmark
    public int warden() {
        int id = id();
        return warden.inTransaction(tx -> update(tx.connection(), id));
    }

    /**
     * Warden with {@code verifyCommit()}: one more statement per transaction (the transaction id and
     * WAL position before COMMIT), the price of resolving a COMMIT lost with its connection.
     */
    @Benchmark
    public int wardenVerifyCommit() {
        int id = id();
        return warden.transaction().verifyCommit().call(tx -> update(tx.connection(), id));
    }

    /** Warden without its health monitor: what the monitor (probe thread, fast-fail pool checks) costs per transaction. */
    @Benchmark
    public int wardenMonitorOff() {
        int id = id();
        return wardenMonitorOff.inTransaction(tx -> update(tx.connection(), id));
    }

    @Benchmark
    public int springTemplate() {
        int id = id();
        Integer n = spring.execute(status -> {
            Connection c = org.springframework.jdbc.datasource.DataSourceUtils.getConnection(pool);
            try {
                return update(c, id);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            } finally {
                org.springframework.jdbc.datasource.DataSourceUtils.releaseConnection(c, pool);
            }
        });
        return n == null ? 0 : n;
    }

    @Benchmark
    public int jdbi() {
        int id = id();
        return jdbi.inTransaction(h -> h.createUpdate(SQL).bind(0, id).execute());
    }
}
