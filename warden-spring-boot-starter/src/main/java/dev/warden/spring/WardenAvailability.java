package dev.warden.spring;

import dev.warden.State;
import dev.warden.Warden;
import org.springframework.boot.availability.ApplicationAvailabilityBean;
import org.springframework.boot.availability.AvailabilityState;
import org.springframework.boot.availability.ReadinessState;

/**
 * Spring Boot's application availability, with readiness tied to Warden: the application refuses
 * traffic unless Spring Boot says it accepts it and Warden is READY (so not while Warden starts,
 * initialises or the database is down). Liveness is Spring Boot's alone and never depends on the
 * database.
 */
public class WardenAvailability extends ApplicationAvailabilityBean {

    private final Warden warden;

    public WardenAvailability(Warden warden) {
        this.warden = warden;
    }

    @Override
    public <S extends AvailabilityState> S getState(Class<S> type, S defaultState) {
        return tied(type, super.getState(type, defaultState));
    }

    @Override
    public <S extends AvailabilityState> S getState(Class<S> type) {
        return tied(type, super.getState(type));
    }

    private <S extends AvailabilityState> S tied(Class<S> type, S state) {
        if (type == ReadinessState.class && state != null && warden.state() != State.READY) {
            return type.cast(ReadinessState.REFUSING_TRAFFIC);
        }
        return state;
    }
}
