package dev.warden.internal.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.warden.DatabaseUnavailableException;
import dev.warden.NotReadyException;
import dev.warden.State;
import dev.warden.Transition;
import dev.warden.TransitionCount;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LifecycleTest {

    @Test
    void recordsEachTransitionOnceWithTimeCauseAndCount() {
        StateMachine l = new StateMachine();
        List<Transition> seen = new CopyOnWriteArrayList<>();
        l.addListener(seen::add);
        l.moveTo(State.CONNECTING, "pool opened");
        l.moveTo(State.INITIALIZING, "init");
        l.moveTo(State.READY, "up");
        l.moveTo(State.DEGRADED, "probe failed");
        l.moveTo(State.READY, "back");
        l.moveTo(State.DEGRADED, "probe failed again");

        assertThat(l.state()).isEqualTo(State.DEGRADED);
        assertThat(l.history()).extracting(Transition::to).containsExactly(State.CONNECTING, State.INITIALIZING,
                State.READY, State.DEGRADED, State.READY, State.DEGRADED);
        assertThat(l.history().get(3).cause()).isEqualTo("probe failed");
        assertThat(l.history().get(3).from()).isEqualTo(State.READY);
        assertThat(seen).isEqualTo(l.history());
        assertThat(l.transitionCount(State.READY, State.DEGRADED)).isEqualTo(2);
        assertThat(l.transitionCounts()).contains(new TransitionCount(State.DEGRADED, State.READY, 1),
                new TransitionCount(State.READY, State.DEGRADED, 2));
        assertThat(l.since()).isEqualTo(l.history().getLast().at());
    }

    @Test
    void refusesTransitionsTheMachineDoesNotAllow() {
        StateMachine l = new StateMachine();
        assertThatThrownBy(() -> l.moveTo(State.DEGRADED, "x")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("STARTING to DEGRADED");
        l.moveTo(State.STOPPING, "close");
        l.moveTo(State.STOPPED, "closed");
        assertThatThrownBy(() -> l.moveTo(State.READY, "x")).isInstanceOf(IllegalStateException.class);
        assertThat(l.moveIf(State.READY, State.DEGRADED, "stale monitor")).isFalse();
        assertThat(l.history()).hasSize(2);
    }

    @Test
    void historyIsBounded() {
        StateMachine l = new StateMachine();
        l.moveTo(State.CONNECTING, "c");
        l.moveTo(State.READY, "r");
        for (int i = 0; i < 100; i++) {
            l.moveTo(State.DEGRADED, "d" + i);
            l.moveTo(State.READY, "r" + i);
        }
        assertThat(l.history()).hasSize(StateMachine.HISTORY_LIMIT);
        assertThat(l.history().getLast().cause()).isEqualTo("r99");
        assertThat(l.transitionCount(State.READY, State.DEGRADED)).isEqualTo(100);
    }

    @Test
    void workBeforeReadyWaitsForTheBoundThenFailsWithNotReady() {
        StateMachine l = new StateMachine();
        l.moveTo(State.CONNECTING, "c");
        l.progress("waiting for the database (attempt 3)");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> l.admit(Duration.ofMillis(300))).isInstanceOf(NotReadyException.class)
                .hasMessageContaining("CONNECTING").hasMessageContaining("attempt 3")
                .hasMessageContaining("WARDEN_READY_WAIT");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // Never before the bound; the upper bound leaves room for a loaded machine.
        assertThat(ms).isBetween(280L, 20_000L);
        assertThat(l.refusedNotReady()).isEqualTo(1);
    }

    @Test
    void workBeforeReadyIsAdmittedAsSoonAsReadyComes() throws Exception {
        StateMachine l = new StateMachine();
        l.moveTo(State.CONNECTING, "c");
        CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> {
            long t0 = System.nanoTime();
            l.admit(Duration.ofSeconds(10));
            return (System.nanoTime() - t0) / 1_000_000;
        });
        // Still waiting for a while (not refused at once)…
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> !waited.isDone());
        l.moveTo(State.READY, "up");
        // …and admitted once READY comes, long before its 10 s bound.
        assertThat(waited.get(30, TimeUnit.SECONDS)).isBetween(150L, 9_000L);
    }

    @Test
    void degradedRefusesAtOnceWithDatabaseUnavailable() {
        StateMachine l = new StateMachine();
        l.moveTo(State.CONNECTING, "c");
        l.moveTo(State.READY, "r");
        l.moveTo(State.DEGRADED, "probe failed");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> l.admit(Duration.ofSeconds(30)))
                .isInstanceOfSatisfying(DatabaseUnavailableException.class, e -> {
                    assertThat(e.kind()).isEqualTo(dev.warden.ErrorKind.CONNECTION);
                    assertThat(e.since()).isEqualTo(l.since());
                    assertThat(e.getMessage()).contains("unreachable since").contains("Retry later");
                });
        // At once: far below the 30 s wait it was offered, even on a loaded machine.
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
        assertThat(l.refusedUnavailable()).isEqualTo(1);
    }

    @Test
    void stoppedAndFailedRefuseAtOnce() {
        StateMachine l = new StateMachine();
        l.moveTo(State.FAILED, "could not start");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> l.admit(Duration.ofSeconds(30))).isInstanceOf(NotReadyException.class)
                .hasMessageContaining("FAILED");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
        long t1 = System.nanoTime();
        assertThat(l.awaitReady(Duration.ofSeconds(30))).isFalse();
        assertThat((System.nanoTime() - t1) / 1_000_000).isLessThan(5_000);
    }
}
