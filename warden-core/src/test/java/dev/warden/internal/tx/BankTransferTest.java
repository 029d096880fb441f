package dev.warden.internal.tx;

import static dev.warden.testing.SharedPostgres.exec;
import static dev.warden.testing.SharedPostgres.queryLong;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.ErrorKind;
import dev.warden.TestConfig;
import dev.warden.TransactionException;
import dev.warden.Warden;
import dev.warden.tx.Isolation;
import dev.warden.tx.Tx;
import dev.warden.tx.TxStats;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many threads moving money between few accounts at SERIALIZABLE: every transfer commits once or
 * fails with a classified error, and no money appears or disappears.
 */
class BankTransferTest {

    private static final int ACCOUNTS = 10;
    private static final int THREADS = 8;
    private static final int TRANSFERS = 2_400;
    private static final long OPENING_BALANCE = 1_000;

    @Test
    void concurrentSerializableTransfersKeepTheTotalAndCommitEachTransferOnce() throws Exception {
        exec("drop table if exists bank_account, bank_transfer",
                "create table bank_account (id int primary key, balance bigint not null)",
                // no unique key on purpose: a transfer committed twice would show as two rows
                "create table bank_transfer (transfer_id int not null, from_id int not null, to_id int not null,"
                        + " amount bigint not null)",
                "insert into bank_account select g, " + OPENING_BALANCE + " from generate_series(1, " + ACCOUNTS + ") g");

        try (Warden warden = Warden.create(TestConfig.sharedPostgres()
                .poolMaxSize(THREADS)
                .isolation(Isolation.SERIALIZABLE)
                .retryMaxAttempts(30)
                .retryInitialBackoff(Duration.ofMillis(1))
                .retryMaxBackoff(Duration.ofMillis(20))
                .build()).start()) {

            AtomicInteger next = new AtomicInteger();
            ConcurrentHashMap<Integer, Long> committed = new ConcurrentHashMap<>();
            ConcurrentHashMap<ErrorKind, AtomicInteger> failed = new ConcurrentHashMap<>();
            AtomicInteger unclassified = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                workers.add(pool.submit(() -> {
                    for (int id = next.getAndIncrement(); id < TRANSFERS; id = next.getAndIncrement()) {
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        int from = 1 + r.nextInt(ACCOUNTS);
                        int to = 1 + (from + r.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                        long amount = 1 + r.nextInt(50);
                        int transferId = id;
                        try {
                            warden.transaction().label("transfer").run(tx -> transfer(tx, transferId, from, to, amount));
                            committed.put(transferId, amount);
                        } catch (TransactionException e) {
                            failed.computeIfAbsent(e.kind(), k -> new AtomicInteger()).incrementAndGet();
                        } catch (RuntimeException e) {
                            unclassified.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get(5, TimeUnit.MINUTES);
            }
            pool.shutdown();

            TxStats.Snapshot stats = warden.health().transactions();
            assertThat(unclassified).hasValue(0);
            assertThat(committed.size() + failed.values().stream().mapToInt(AtomicInteger::get).sum())
                    .isEqualTo(TRANSFERS);
            assertThat(failed.keySet()).allMatch(k -> k != ErrorKind.UNKNOWN);
            assertThat(queryLong("select sum(balance) from bank_account")).isEqualTo(ACCOUNTS * OPENING_BALANCE);
            assertThat(queryLong("select count(*) from bank_transfer")).isEqualTo(committed.size());
            assertThat(queryLong("select count(distinct transfer_id) from bank_transfer")).isEqualTo(committed.size());
            assertThat(stats.committed()).isEqualTo(committed.size());
            assertThat(stats.retries()).isPositive();
            System.out.printf("bank: %d committed, failed %s, %d retries%n", committed.size(), failed, stats.retries());
        }
    }

    private static void transfer(Tx tx, int transferId, int from, int to, long wanted) throws Exception {
        var c = tx.connection();
        long balance;
        try (PreparedStatement ps = c.prepareStatement("select balance from bank_account where id = ?")) {
            ps.setInt(1, from);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                balance = rs.getLong(1);
            }
        }
        long amount = Math.min(balance, wanted); // never overdraw; a transfer of 0 is still recorded
        try (PreparedStatement ps = c.prepareStatement("update bank_account set balance = balance + ? where id = ?")) {
            ps.setLong(1, -amount);
            ps.setInt(2, from);
            ps.addBatch();
            ps.setLong(1, amount);
            ps.setInt(2, to);
            ps.addBatch();
            ps.executeBatch();
        }
        try (PreparedStatement ps = c.prepareStatement("insert into bank_transfer values (?, ?, ?, ?)")) {
            ps.setInt(1, transferId);
            ps.setInt(2, from);
            ps.setInt(3, to);
            ps.setLong(4, amount);
            ps.executeUpdate();
        }
    }
}
