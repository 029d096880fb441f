package dev.warden.spring;

import dev.warden.DatabaseUnavailableException;
import dev.warden.NotReadyException;
import dev.warden.State;
import dev.warden.Transition;
import dev.warden.Warden;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.ModelAndView;

/**
 * Answers a request that failed on Warden's refusal ({@link NotReadyException},
 * {@link DatabaseUnavailableException}, also when a framework wrapped it, e.g. JPA's
 * {@code CannotCreateTransactionException}) with 503 and {@code Retry-After}, through the servlet
 * container's error handling (so Spring Boot's error page or JSON, as for any error status). Logs one
 * line per Warden state in which it refuses, not one per request, and one line when Warden is READY
 * again. Ordered after Spring MVC's own resolvers: an application {@code @ExceptionHandler} wins.
 */
final class WardenUnavailableResolver implements HandlerExceptionResolver, Ordered {

    private static final Logger log = LoggerFactory.getLogger(WardenUnavailableResolver.class);

    private final Warden warden;
    private final String retryAfter;
    private final AtomicReference<State> logged = new AtomicReference<>();
    private final AtomicLong answered = new AtomicLong();

    WardenUnavailableResolver(Warden warden, Duration retryAfter) {
        this.warden = warden;
        this.retryAfter = String.valueOf(Math.max(1, (retryAfter.toMillis() + 999) / 1000));
        warden.lifecycle().addListener(this::onTransition);
    }

    @Override
    public ModelAndView resolveException(HttpServletRequest request, HttpServletResponse response, Object handler,
            Exception ex) {
        RuntimeException refusal = refusal(ex);
        if (refusal == null || response.isCommitted()) {
            return null;
        }
        answered.incrementAndGet();
        State state = warden.state();
        if (logged.getAndSet(state) != state) {
            log.warn("Answering 503 (Retry-After: {}) while Warden is {}: {}", retryAfter, state, refusal.getMessage());
        }
        try {
            response.setHeader("Retry-After", retryAfter);
            response.sendError(HttpServletResponse.SC_SERVICE_UNAVAILABLE, refusal.getMessage());
        } catch (IOException e) {
            return null;
        }
        return new ModelAndView();
    }

    private static RuntimeException refusal(Throwable t) {
        for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
            if (t instanceof NotReadyException || t instanceof DatabaseUnavailableException) {
                return (RuntimeException) t;
            }
        }
        return null;
    }

    private void onTransition(Transition t) {
        if (t.to() == State.READY && logged.getAndSet(null) != null) {
            log.info("Warden is READY again; {} requests were answered 503 meanwhile", answered.getAndSet(0));
        }
    }

    /** Right after Spring MVC's own resolvers (order 0), so the application's exception handlers come first. */
    @Override
    public int getOrder() {
        return 1;
    }
}
