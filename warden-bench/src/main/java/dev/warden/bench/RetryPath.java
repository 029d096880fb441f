package dev.warden.bench;

import dev.warden.Warden;
import dev.warden.tx.RetryPolicy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
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
 * A transaction whose first run fails with a real 40001 from the server and whose second commits:
 * Warden's retry against a hand-written catch / rollback / retry loop, both without backoff pause
 * (a pause would measure the sleep) and with the same statements.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RetryPath {

    static final String FAIL = "do $$ begin raise exception serialization_failure; end $$";

    PgBench.Db db;
    Warden warden;
    DataSource pool;
    RetryPolicy noPause = new RetryPolicy(3, Duration.ZERO, Duration.ZERO, 1.0);

    @Setup(Level.Trial)
    public void setUp() {
        db = PgBench.start();
        warden = PgBench.warden(db);
        pool = warden.dataSource();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        warden.close();
        db.close();
    }

    static int work(Connection c, boolean failFirst) throws SQLException {
        if (failFirst) {
            try (Statement st = c.createStatement()) {
                st.execute(FAIL);
            }
        }
        return TxRoundTripPg.update(c, TxRoundTripPg.id());
    }

    @Benchmark
    public int handWritten() throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try (Connection c = pool.getConnection()) {
                c.setAutoCommit(false);
                try {
                    int n = work(c, attempt == 1);
                    c.commit();
                    return n;
                } catch (SQLException e) {
                    c.rollback();
                    if (!"40001".equals(e.getSQLState()) || attempt >= 3) {
                        throw e;
                    }
                }
            }
        }
    }

    @Benchmark
    public int warden() {
        return warden.transaction().retry(noPause).call(tx -> work(tx.connection(), tx.attempt() == 1));
    }
}
