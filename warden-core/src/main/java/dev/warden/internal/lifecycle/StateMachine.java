package dev.warden.internal.lifecycle;

import dev.warden.DatabaseUnavailableException;
import dev.warden.Lifecycle;
import dev.warden.NotReadyException;
import dev.warden.State;
import dev.warden.Transition;
import dev.warden.TransitionCount;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle state machine of one Warden, and its readiness gate.
 *
 * <p>Guarantees: only the transitions of {@link #allowed(State, State)} happen; each one is logged
 * once (one line: from, to, cause), counted, kept in a bounded history with its time and cause, and
 * passed to every listener in the order the transitions happened. Reading the state is a volatile
 * read; admitting work in READY takes no lock.
 */
public final class StateMachine implements Lifecycle {

    private static final Logger log = LoggerFactory.getLogger("dev.warden.lifecycle");
    /** Transitions kept for the report; the oldest go first. A flapping database must not grow memory. */
    static final int HISTORY_LIMIT = 50;

    private static final Map<State, Set<State>> ALLOWED = new EnumMap<>(State.class);

    static {
        ALLOWED.put(State.STARTING, EnumSet.of(State.CONNECTING, State.FAILED, State.STOPPING));
        ALLOWED.put(State.CONNECTING, EnumSet.of(State.INITIALIZING, State.READY, State.FAILED, State.STOPPING));
        ALLOWED.put(State.INITIALIZING, EnumSet.of(State.READY, State.FAILED, State.STOPPING));
        ALLOWED.put(State.READY, EnumSet.of(State.DEGRADED, State.STOPPING));
        ALLOWED.put(State.DEGRADED, EnumSet.of(State.READY, State.STOPPING));
        ALLOWED.put(State.STOPPING, EnumSet.of(State.STOPPED));
        ALLOWED.put(State.FAILED, EnumSet.of(State.STOPPING));
        ALLOWED.put(State.STOPPED, EnumSet.noneOf(State.class));
    }

    private final Object lock = new Object();
    private final ArrayDeque<Transition> history = new ArrayDeque<>();
    private final long[][] counts = new long[State.values().length][State.values().length];
    private final List<Consumer<Transition>> listeners = new CopyOnWriteArrayList<>();
    private final LongAdder refusedNotReady = new LongAdder();
    private final LongAdder refusedUnavailable = new LongAdder();
    private volatile State state = State.STARTING;
    private volatile Instant since = Instant.now();
    /** Why the current state was entered (the transition's cause). */
    private volatile String why = "";
    private volatile String progress = "not started";

    private final Lifecycle view = new View(this);

    /** A lifecycle in state STARTING. */
    public StateMachine() {
    }

    /**
     * This lifecycle as Warden hands it out: read-only, and not this machine, so that no cast turns
     * it back into something that moves the state.
     */
    public Lifecycle view() {
        return view;
    }

    /** True when the state machine allows going from {@code from} to {@code to}. */
    public static boolean allowed(State from, State to) {
        return ALLOWED.get(from).contains(to);
    }

    /** The current state. */
    @Override
    public State state() {
        return state;
    }

    /** Why the current state was entered: the cause given with the transition. */
    @Override
    public String why() {
        return why;
    }

    /** When the current state was entered. */
    @Override
    public Instant since() {
        return since;
    }

    /**
     * Moves to {@code next}, whatever the current state, if the machine allows it.
     *
     * @return the transition made
     * @throws IllegalStateException when the transition is not allowed (a bug in the caller)
     */
    public Transition moveTo(State next, String cause) {
        synchronized (lock) {
            State from = state;
            if (!allowed(from, next)) {
                throw new IllegalStateException("Warden cannot go from " + from + " to " + next + " (" + cause + ")");
            }
            return apply(from, next, cause);
        }
    }

    /**
     * Moves to {@code next} only when the current state is {@code expected}: for the monitor, whose
     * view of the state may be stale by the time it acts (e.g. the Warden is closing).
     *
     * @return true when the transition was made
     */
    public boolean moveIf(State expected, State next, String cause) {
        synchronized (lock) {
            if (state != expected || !allowed(expected, next)) {
                return false;
            }
            apply(expected, next, cause);
            return true;
        }
    }

    private Transition apply(State from, State next, String cause) {
        Transition t = new Transition(Instant.now(), from, next, Objects.requireNonNullElse(cause, ""));
        state = next;
        since = t.at();
        why = t.cause();
        counts[from.ordinal()][next.ordinal()]++;
        history.addLast(t);
        if (history.size() > HISTORY_LIMIT) {
            history.removeFirst();
        }
        if (next == State.DEGRADED || next == State.FAILED) {
            log.warn("Warden {} -> {}: {}", from, next, t.cause());
        } else {
            log.info("Warden {} -> {}: {}", from, next, t.cause());
        }
        for (Consumer<Transition> l : listeners) {
            try {
                l.accept(t);
            } catch (RuntimeException e) {
                log.warn("A lifecycle listener failed on {} -> {}: {}", from, next, e.toString());
            }
        }
        lock.notifyAll();
        return t;
    }

    /**
     * Calls {@code listener} with every later transition, in order, on the thread that makes it and
     * while the state cannot change again: it must be quick and must not wait for Warden.
     */
    @Override
    public void addListener(Consumer<Transition> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** The last transitions (at most 50), oldest first. */
    @Override
    public List<Transition> history() {
        synchronized (lock) {
            return List.copyOf(history);
        }
    }

    /** How many times each transition happened, only those that did, in the order of the states. */
    public List<TransitionCount> transitionCounts() {
        List<TransitionCount> out = new ArrayList<>();
        synchronized (lock) {
            for (State from : State.values()) {
                for (State to : State.values()) {
                    long n = counts[from.ordinal()][to.ordinal()];
                    if (n > 0) {
                        out.add(new TransitionCount(from, to, n));
                    }
                }
            }
        }
        return out;
    }

    /** How many times {@code from -> to} happened. */
    @Override
    public long transitionCount(State from, State to) {
        synchronized (lock) {
            return counts[from.ordinal()][to.ordinal()];
        }
    }

    /** Sets the text the startup probe shows (e.g. "waiting for the init lock held by host-2"). */
    public void progress(String text) {
        progress = Objects.requireNonNullElse(text, "");
    }

    /** What start-up is doing now, for the startup probe. */
    @Override
    public String progress() {
        return progress;
    }

    /** Work refused because Warden was not READY yet (or no longer running). */
    @Override
    public long refusedNotReady() {
        return refusedNotReady.sum();
    }

    /** Work refused at once because the database was unreachable (DEGRADED). */
    @Override
    public long refusedUnavailable() {
        return refusedUnavailable.sum();
    }

    /**
     * The readiness gate: returns at once in READY; throws {@link DatabaseUnavailableException} at
     * once in DEGRADED; before READY (STARTING, CONNECTING, INITIALIZING) waits up to {@code wait}
     * for READY and throws {@link NotReadyException} when it does not come; throws
     * {@link NotReadyException} at once when Warden is stopping, stopped or failed.
     */
    public void admit(Duration wait) {
        State s = state;
        if (s == State.READY) {
            return;
        }
        if (s == State.STARTING || s == State.CONNECTING || s == State.INITIALIZING) {
            s = awaitLeavingStartup(wait);
            if (s == State.READY) {
                return;
            }
        }
        if (s == State.DEGRADED) {
            refusedUnavailable.increment();
            throw new DatabaseUnavailableException(since, why, null);
        }
        refusedNotReady.increment();
        throw new NotReadyException(s, switch (s) {
            case STARTING -> "Warden is STARTING, not READY, after waiting " + format(wait)
                    + " (WARDEN_READY_WAIT): call start() first.";
            case CONNECTING, INITIALIZING -> "Warden is " + s + ", not READY, after waiting " + format(wait)
                    + " (WARDEN_READY_WAIT): " + progress + ". Retry later.";
            case STOPPING -> "Warden is STOPPING: it finishes the transactions already running and takes no new"
                    + " work. Retry on another replica.";
            default -> "Warden is " + s + ": no work is accepted in this state.";
        });
    }

    private State awaitLeavingStartup(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            State s = state;
            while (s == State.STARTING || s == State.CONNECTING || s == State.INITIALIZING) {
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    break;
                }
                try {
                    lock.wait(leftMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                s = state;
            }
            return s;
        }
    }

    /**
     * Waits while DEGRADED, until {@code deadlineNanos} ({@link System#nanoTime()}) or an interrupt,
     * and returns the state then. Any transition wakes it (READY, STOPPING on shutdown).
     */
    public State awaitLeavingDegraded(long deadlineNanos) {
        synchronized (lock) {
            while (state == State.DEGRADED) {
                long leftMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    break;
                }
                try {
                    lock.wait(leftMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return state;
        }
    }

    /** Counts work refused at once because the database was unavailable (past the ride-through). */
    public void countRefusedUnavailable() {
        refusedUnavailable.increment();
    }

    /**
     * Waits up to {@code timeout} for READY.
     *
     * @return true when READY; false on timeout, on interrupt, or when it can no longer become
     *         READY without a restart (STOPPING, STOPPED, FAILED)
     */
    @Override
    public boolean awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (state != State.READY) {
                State s = state;
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0 || s == State.STOPPING || s == State.STOPPED || s == State.FAILED) {
                    return false;
                }
                try {
                    lock.wait(leftMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** The read-only view: every method reads the machine, none moves it. */
    private static final class View implements Lifecycle {

        private final StateMachine machine;

        View(StateMachine machine) {
            this.machine = machine;
        }

        @Override
        public State state() {
            return machine.state();
        }

        @Override
        public String why() {
            return machine.why();
        }

        @Override
        public Instant since() {
            return machine.since();
        }

        @Override
        public void addListener(Consumer<Transition> listener) {
            machine.addListener(listener);
        }

        @Override
        public List<Transition> history() {
            return machine.history();
        }

        @Override
        public long transitionCount(State from, State to) {
            return machine.transitionCount(from, to);
        }

        @Override
        public String progress() {
            return machine.progress();
        }

        @Override
        public long refusedNotReady() {
            return machine.refusedNotReady();
        }

        @Override
        public long refusedUnavailable() {
            return machine.refusedUnavailable();
        }

        @Override
        public boolean awaitReady(Duration timeout) {
            return machine.awaitReady(timeout);
        }
    }

    private static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
