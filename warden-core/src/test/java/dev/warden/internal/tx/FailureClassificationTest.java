package dev.warden.internal.tx;

import static dev.warden.testing.SharedPostgres.exec;
import static dev.warden.testing.SharedPostgres.queryLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.ErrorKind;
import dev.warden.TestConfig;
import dev.warden.TransactionException;
import dev.warden.Warden;
import dev.warden.tx.RetryPolicy;
import dev.warden.tx.Tx;
import dev.warden.tx.TxStats;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/** Real failures from a real server, each classified, and retried only when that is safe. */
class FailureClassificationTest {

    private static Warden warden;
    /** Real threads: the common pool may have a single thread on a 2-core machine. */
    private static final java.util.concurrent.ExecutorService THREADS = java.util.concurrent.Executors.newCachedThreadPool();

    @BeforeAll
    static void start() {
        exec("create table if not exists fc_rows (id int primary key, v int not null)",
                "create table if not exists fc_log (id int not null, note text)");
        // No health monitor: these tests count retries exactly, and on a loaded machine a probe that
        // times out would abort the pool's connections and add retries of its own (OutageRecoveryTest,
        // PartitionTest and OverloadTest cover the monitor).
        warden = Warden.create(TestConfig.sharedPostgres().poolMaxSize(4).monitorInterval(java.time.Duration.ZERO).build())
                .start();
    }

    @AfterAll
    static void stop() {
        THREADS.shutdownNow();
        warden.close();
    }

    @BeforeEach
    void reset() {
        exec("truncate fc_rows, fc_log", "insert into fc_rows values (1, 0), (2, 0)",
                "drop trigger if exists fc_slow_commit on fc_log");
    }

    private static void update(Tx tx, int id) throws SQLException {
        try (PreparedStatement ps = tx.connection().prepareStatement("update fc_rows set v = v + 1 where id = ?")) {
            ps.setInt(1, id);
            ps.executeUpdate();
        }
    }

    private static int backendPid(Tx tx) throws SQLException {
        try (Statement st = tx.connection().createStatement(); ResultSet rs = st.executeQuery("select pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void deadlockIsClassifiedAndRetriedToSuccess() throws Exception {
        CountDownLatch bothLockedFirstRow = new CountDownLatch(2);
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        TxStats.Snapshot before = warden.health().transactions();

        Runnable a = () -> warden.transaction().label("a").run(tx -> lockInOrder(tx, 1, 2, bothLockedFirstRow, attempts));
        Runnable b = () -> warden.transaction().label("b").run(tx -> lockInOrder(tx, 2, 1, bothLockedFirstRow, attempts));
        CompletableFuture<Void> fa = CompletableFuture.runAsync(a, THREADS);
        CompletableFuture<Void> fb = CompletableFuture.runAsync(b, THREADS);
        fa.get(30, TimeUnit.SECONDS);
        fb.get(30, TimeUnit.SECONDS);

        TxStats.Snapshot after = warden.health().transactions();
        // both committed: each row was incremented by each transaction exactly once
        assertThat(queryLong("select sum(v) from fc_rows")).isEqualTo(4);
        assertThat(attempts).contains(2); // one of them ran twice
        // At least one retry; a slow machine may see the deadlock detector pick a victim twice.
        assertThat(after.retries() - before.retries()).isGreaterThanOrEqualTo(1);
        assertThat(after.committed() - before.committed()).isEqualTo(2);
    }

    private static void lockInOrder(Tx tx, int first, int second, CountDownLatch bothLockedFirst, List<Integer> attempts)
            throws Exception {
        attempts.add(tx.attempt());
        update(tx, first);
        if (tx.attempt() == 1) {
            bothLockedFirst.countDown();
            assertThat(bothLockedFirst.await(10, TimeUnit.SECONDS)).isTrue();
        }
        update(tx, second); // one of the two gets 40P01 from the server's deadlock detector
    }

    @Test
    void deadlockErrorCarriesItsKindWhenRetriesAreOff() throws Exception {
        CountDownLatch bothLockedFirstRow = new CountDownLatch(2);
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        CompletableFuture<Throwable> fa = CompletableFuture.supplyAsync(() -> failureOf(() -> warden.transaction()
                .retry(RetryPolicy.none()).run(tx -> lockInOrder(tx, 1, 2, bothLockedFirstRow, attempts))), THREADS);
        CompletableFuture<Throwable> fb = CompletableFuture.supplyAsync(() -> failureOf(() -> warden.transaction()
                .retry(RetryPolicy.none()).run(tx -> lockInOrder(tx, 2, 1, bothLockedFirstRow, attempts))), THREADS);
        Throwable ea = fa.get(30, TimeUnit.SECONDS);
        Throwable eb = fb.get(30, TimeUnit.SECONDS);
        Throwable failure = ea != null ? ea : eb;
        assertThat(ea == null ^ eb == null).as("exactly one of the two loses").isTrue();
        assertThat(failure).isInstanceOf(TransactionException.class);
        TransactionException te = (TransactionException) failure;
        assertThat(te.kind()).isEqualTo(ErrorKind.DEADLOCK);
        assertThat(te.sqlState()).isEqualTo("40P01");
        assertThat(te.attempts()).isEqualTo(1);
    }

    private static Throwable failureOf(Runnable r) {
        try {
            r.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    @Test
    void killedBackendIsAConnectionFailureRetriedOnAFreshConnectionAndCommittedOnce() {
        AtomicInteger runs = new AtomicInteger();
        List<Integer> pids = new CopyOnWriteArrayList<>();
        warden.transaction().label("survivor").run(tx -> {
            runs.incrementAndGet();
            int pid = backendPid(tx);
            pids.add(pid);
            update(tx, 1);
            try (PreparedStatement ps = tx.connection().prepareStatement("insert into fc_log values (?, 'once')")) {
                ps.setInt(1, tx.attempt());
                ps.executeUpdate();
            }
            if (tx.attempt() == 1) {
                exec("select pg_terminate_backend(" + pid + ")");
                update(tx, 2); // the server is gone: this fails with 57P01 / 08006
            }
        });
        assertThat(runs).hasValue(2);
        assertThat(pids).hasSize(2).doesNotHaveDuplicates();
        assertThat(queryLong("select count(*) from fc_log")).isEqualTo(1);
        assertThat(queryLong("select id from fc_log")).isEqualTo(2);
        assertThat(queryLong("select v from fc_rows where id = 1")).isEqualTo(1);
        assertThat(queryLong("select v from fc_rows where id = 2")).isZero();
    }

    @Test
    void connectionLostDuringCommitIsReportedAsUnknownAndNeverRetried() throws Exception {
        // A deferred constraint trigger runs at COMMIT time and sleeps: the client's socket is cut while
        // COMMIT is being processed, so the client cannot know whether it was applied. (A backend
        // terminated there says so with a FATAL before any CommandComplete: not applied, run again;
        // CommitAnswerTest.)
        exec("create or replace function fc_sleep() returns trigger language plpgsql as"
                        + " $$ begin perform pg_sleep(3); return null; end $$",
                "create constraint trigger fc_slow_commit after insert on fc_log deferrable initially deferred"
                        + " for each row execute function fc_sleep()");
        AtomicInteger runs = new AtomicInteger();
        CommitOutcomeUnknownException e = catchThrowableOfType(CommitOutcomeUnknownException.class,
                () -> warden.transaction().label("maybe").run(tx -> {
                    runs.incrementAndGet();
                    BaseConnection pg = tx.connection().unwrap(BaseConnection.class);
                    try (Statement st = tx.connection().createStatement()) {
                        st.executeUpdate("insert into fc_log values (1, 'maybe')");
                    }
                    THREADS.execute(() -> {
                        try {
                            Thread.sleep(500);
                            pg.abort(Runnable::run);
                        } catch (InterruptedException ie) {
                            Thread.currentThread().interrupt();
                        } catch (SQLException ex) {
                            throw new IllegalStateException(ex);
                        }
                    });
                }));
        assertThat(e).isNotNull();
        assertThat(e.kind()).isEqualTo(ErrorKind.CONNECTION);
        assertThat(e.attempts()).isEqualTo(1);
        assertThat(e.getMessage()).contains("COMMIT");
        assertThat(runs).hasValue(1);
        assertThat(warden.health().transactions().commitUnknown()).isPositive();
    }

    @Test
    void uniqueViolationIsAConstraintErrorAndIsNotRetried() {
        AtomicInteger runs = new AtomicInteger();
        TransactionException e = catchThrowableOfType(TransactionException.class,
                () -> warden.useTransaction(tx -> {
                    runs.incrementAndGet();
                    try (Statement st = tx.connection().createStatement()) {
                        st.executeUpdate("insert into fc_rows values (1, 99)");
                    }
                }));
        assertThat(e.kind()).isEqualTo(ErrorKind.CONSTRAINT);
        assertThat(e.sqlState()).isEqualTo("23505");
        assertThat(e.attempts()).isEqualTo(1);
        assertThat(runs).hasValue(1);
        assertThat(queryLong("select v from fc_rows where id = 1")).isZero();
    }

    @Test
    void serializationFailureIsRetriedUntilTheBudgetIsSpentThenReported() {
        AtomicInteger runs = new AtomicInteger();
        TransactionException e = catchThrowableOfType(TransactionException.class,
                () -> warden.transaction().retry(RetryPolicy.of(3, Duration.ofMillis(1), Duration.ofMillis(5)))
                        .run(tx -> {
                            runs.incrementAndGet();
                            update(tx, 1);
                            // the server raises a genuine 40001, as a lost serialization race would
                            try (Statement st = tx.connection().createStatement()) {
                                st.execute("do $$ begin raise exception serialization_failure using message = 'race lost'; end $$");
                            }
                        }));
        assertThat(runs).hasValue(3);
        assertThat(e.kind()).isEqualTo(ErrorKind.SERIALIZATION);
        assertThat(e.attempts()).isEqualTo(3);
        assertThat(e.getMessage()).contains("after 3 attempts");
        assertThat(queryLong("select v from fc_rows where id = 1")).isZero();
    }

    @Test
    void interruptDuringBackoffStopsRetryingAndKeepsTheInterrupt() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
        Thread worker = new Thread(() -> {
            result.complete(failureOf(() -> warden.transaction()
                    .retry(RetryPolicy.of(100, Duration.ofSeconds(10), Duration.ofSeconds(10)))
                    .run(tx -> {
                        runs.incrementAndGet();
                        try (Statement st = tx.connection().createStatement()) {
                            st.execute("do $$ begin raise exception serialization_failure; end $$");
                        }
                    })));
            stillInterrupted.complete(Thread.currentThread().isInterrupted());
        });
        worker.start();
        // Full jitter may draw a short pause, so the work may run a few times before a pause long enough
        // to be seen; the interrupt is sent only once the worker is seen parked in the backoff.
        await().atMost(Duration.ofSeconds(30)).until(() -> inBackoff(worker));
        int runsBeforeInterrupt = runs.get();
        worker.interrupt();
        Throwable t = result.get(10, TimeUnit.SECONDS);
        worker.join(5_000);
        assertThat(t).isInstanceOf(TransactionException.class);
        assertThat(((TransactionException) t).kind()).isEqualTo(ErrorKind.SERIALIZATION);
        assertThat(t.getCause().getSuppressed()).anySatisfy(s -> assertThat(s).isInstanceOf(InterruptedException.class));
        assertThat(runs).hasValue(runsBeforeInterrupt);
        assertThat(stillInterrupted.get(5, TimeUnit.SECONDS)).as("the interrupt is kept").isTrue();
    }

    private static boolean inBackoff(Thread worker) {
        for (StackTraceElement frame : worker.getStackTrace()) {
            if (frame.getClassName().equals(RetryLoop.class.getName()) && frame.getMethodName().equals("pause")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void poolExhaustionIsAClassifiedConnectionFailureReportedWithoutRetry() throws Exception {
        try (Warden small = Warden.create(TestConfig.sharedPostgres().poolMaxSize(1)
                .poolAcquireTimeout(Duration.ofMillis(300)).retryMaxAttempts(5).build()).start()) {
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> small.useTransaction(tx -> {
                holding.countDown();
                release.await(10, TimeUnit.SECONDS);
            }), THREADS);
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
            TransactionException e = catchThrowableOfType(TransactionException.class,
                    () -> small.useTransaction(tx -> { }));
            release.countDown();
            holder.get(10, TimeUnit.SECONDS);
            assertThat(e.kind()).isEqualTo(ErrorKind.CONNECTION);
            assertThat(e.attempts()).isEqualTo(1);
        }
    }

    @Test
    void aConnectionHandedOutIsAlwaysOutsideAnyTransaction() throws Exception {
        // After every kind of failure in this class, every pooled connection must come back idle.
        for (int i = 0; i < 8; i++) {
            TransactionState state = warden.inTransaction(tx ->
                    tx.connection().unwrap(BaseConnection.class).getTransactionState());
            assertThat(state).isEqualTo(TransactionState.IDLE);
        }
    }
}
