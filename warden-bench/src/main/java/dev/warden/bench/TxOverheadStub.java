package dev.warden.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.warden.WardenConfig;
import dev.warden.internal.tx.Transactions;
import dev.warden.internal.tx.TxCounters;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

/**
 * One statement in one transaction on HikariCP over a JDBC stub that does nothing: what Warden adds
 * to hand-written JDBC, in time and allocation (run with {@code -prof gc}). Both use the same pool.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TxOverheadStub {

    static final String SQL = "update item set n = n + 1 where id = 1";

    HikariDataSource pool;
    Transactions warden;

    @Setup(Level.Trial)
    public void setUp() {
        HikariConfig h = new HikariConfig();
        h.setDataSource(new StubDataSource());
        h.setMaximumPoolSize(4);
        h.setMinimumIdle(4);
        h.setAutoCommit(false); // as Warden configures its pool
        h.setPoolName("stub");
        pool = new HikariDataSource(h);
        WardenConfig defaults = WardenConfig.builder().environment(Map.of()).build();
        warden = new Transactions(pool, pool::evictConnection, defaults.tx().retry(), defaults.tx().isolation(),
                new TxCounters());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    /** The baseline: get connection, auto-commit off, execute, commit, close. */
    @Benchmark
    public int handWritten() throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(SQL)) {
                int n = ps.executeUpdate();
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
        return warden.inTransaction(tx -> {
            try (PreparedStatement ps = tx.connection().prepareStatement(SQL)) {
                return ps.executeUpdate();
            }
        });
    }
}
