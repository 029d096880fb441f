package dev.warden.drill.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** A write left without an outcome is reported with where its thread is, not just counted. */
class HungWriteReportTest {

    @Test
    void aWriteWithoutAnOutcomeIsReportedWithItsThreadsStack() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        PartitionDrill.Write w = new PartitionDrill.Write();
        Thread t = Thread.ofPlatform().daemon().name("drill-writer-stuck").start(() -> {
            w.thread = Thread.currentThread();
            waitHere(release);
        });
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> w.thread != null && t.getState() == Thread.State.WAITING);
            assertThat(PartitionDrill.whereIs(w))
                    .startsWith("drill: a write without an outcome ")
                    .contains("thread drill-writer-stuck in:")
                    .contains("at " + HungWriteReportTest.class.getName() + ".waitHere(");
        } finally {
            release.countDown();
            t.join(10_000);
        }
        assertThat(PartitionDrill.whereIs(w)).contains("(ended)");
    }

    private static void waitHere(CountDownLatch release) {
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
