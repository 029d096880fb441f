package dev.warden.internal.health;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The threads waiting in HikariCP's queue for a connection, so that the monitor can release them
 * the moment it declares the database unreachable. A waiter stays in HikariCP's first-come,
 * first-served queue for the whole acquire timeout; it leaves early only through
 * {@link #releaseAll()}, which interrupts it (HikariCP then gives up without counting a timeout).
 * The interrupt is cleared again in {@link Waiter#leave()}, so it never reaches the caller.
 */
final class WaitingThreads {

    private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();

    /** Registers the calling thread as a waiter; call {@link Waiter#leave()} in a finally block. */
    Waiter enter() {
        Waiter w = new Waiter(Thread.currentThread());
        waiters.add(w);
        return w;
    }

    /** Interrupts every thread still waiting; returns how many. */
    int releaseAll() {
        int n = 0;
        for (Waiter w : waiters) {
            if (w.release()) {
                n++;
            }
        }
        return n;
    }

    /** Threads waiting now. */
    int size() {
        return waiters.size();
    }

    /** One waiting thread. */
    final class Waiter {
        private final Thread thread;
        private boolean left;
        private boolean released;

        private Waiter(Thread thread) {
            this.thread = thread;
        }

        private synchronized boolean release() {
            if (left || released) {
                return false;
            }
            released = true;
            thread.interrupt();
            return true;
        }

        /**
         * Stops waiting; returns true when {@link #releaseAll()} released this waiter, whose
         * interrupt is then cleared. After this call no interrupt comes from the registry.
         */
        synchronized boolean leave() {
            left = true;
            waiters.remove(this);
            if (released) {
                Thread.interrupted();
                return true;
            }
            return false;
        }
    }
}
