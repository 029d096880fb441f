package dev.warden.spring;

import dev.warden.State;
import dev.warden.Transition;
import dev.warden.Warden;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;

/**
 * Starts Warden in the background when the application context starts, so that the context (and
 * its web server with the probes) comes up while Warden connects and initialises; closes it last
 * when the context stops (after the web server has drained). Once the application is ready, each
 * move of Warden into or out of READY is published as a {@link ReadinessState} change.
 */
final class WardenStarter implements SmartLifecycle, ApplicationListener<ApplicationReadyEvent> {

    private static final Logger log = LoggerFactory.getLogger(WardenStarter.class);

    /** Before the web server starts (it has a higher phase), and stopped after it. */
    static final int PHASE = -1000;

    private final Warden warden;
    private final ApplicationEventPublisher events;
    private volatile boolean running;
    private volatile boolean applicationReady;
    private Thread thread;

    WardenStarter(Warden warden, ApplicationEventPublisher events) {
        this.warden = warden;
        this.events = events;
        warden.lifecycle().addListener(this::onTransition);
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        thread = Thread.ofPlatform().name("warden-start").daemon(true).unstarted(() -> {
            try {
                warden.start();
            } catch (RuntimeException e) {
                if (warden.state() != State.STOPPING && warden.state() != State.STOPPED) {
                    log.error("Warden failed to start; readiness stays down, the health report says why: {}",
                            e.getMessage());
                }
            }
        });
        thread.setContextClassLoader(loader); // Flyway finds classpath: migrations through it
        thread.start();
    }

    @Override
    public synchronized void stop() {
        running = false;
        warden.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        applicationReady = true;
    }

    private void onTransition(Transition t) {
        if (!applicationReady) {
            return; // Spring Boot publishes its own readiness when the application is ready
        }
        if (t.to() == State.READY) {
            AvailabilityChangeEvent.publish(events, warden, ReadinessState.ACCEPTING_TRAFFIC);
        } else if (t.from() == State.READY) {
            AvailabilityChangeEvent.publish(events, warden, ReadinessState.REFUSING_TRAFFIC);
        }
    }
}
