package dev.warden.example.spring;

import dev.warden.Warden;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Test-only: the readiness changes Warden published (its own moves into and out of READY). */
@Component
class ReadinessEvents {

    static final List<ReadinessState> fromWarden = new CopyOnWriteArrayList<>();

    @EventListener
    void on(AvailabilityChangeEvent<ReadinessState> event) {
        if (event.getSource() instanceof Warden) {
            fromWarden.add(event.getState());
        }
    }
}
