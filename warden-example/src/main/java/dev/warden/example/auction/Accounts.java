package dev.warden.example.auction;

import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /auth/register} and {@code POST /auth/login}.
 * <ul>
 *   <li>Register: a name of 3 to 32 letters, digits, {@code _ . -}, unique regardless of case; a
 *       password that passes {@link PasswordPolicy}. A valid registration (one bcrypt hash) takes a
 *       token from the client address's login bucket: 429 + {@code Retry-After} when it is empty.</li>
 *   <li>Login: throttled per client address and per username at that address ({@link LoginThrottle}):
 *       a throttled attempt gets 429 + {@code Retry-After} before any bcrypt work; a username under
 *       attack from many addresses has its attempts slowed (a bounded delay), never refused.
 *       Otherwise one bcrypt check, against a dummy hash for an unknown name, so the time does not
 *       tell which names exist. A
 *       password bcrypt cannot take (over 72 bytes) is a wrong password: 401, not an error.</li>
 * </ul>
 */
final class Accounts {

    private static final Logger log = LoggerFactory.getLogger(Accounts.class);
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_.-]{3,32}");

    private final Auction auction;
    private final Auth auth;
    private final LoginThrottle throttle;
    private final BiFunction<Context, List<String>, Body> body;

    Accounts(Auction auction, Auth auth, LoginThrottle throttle, BiFunction<Context, List<String>, Body> body) {
        this.auction = auction;
        this.auth = auth;
        this.throttle = throttle;
        this.body = body;
    }

    void register(Context ctx) {
        Body b = body.apply(ctx, List.of("username", "password"));
        String username = b.text("username", true, 3, 32, USERNAME,
                "must be 3 to 32 characters: letters, digits, '_', '.' or '-'");
        String password = b.secret("password", true, 1, 200);
        if (password != null) {
            PasswordPolicy.problem(username, password).ifPresent(p -> b.error("password", p));
        }
        b.done();
        // A registration costs a bcrypt hash: it counts against the address like a failed login.
        long wait = throttle.acquireAddress(ctx.ip());
        if (wait > 0) {
            throw tooMany("Too many registrations and failed logins from this address", wait);
        }
        ctx.status(201).json(auction.register(username, Passwords.hash(password)));
    }

    private static ApiException tooMany(String what, long waitSeconds) {
        return new ApiException(429, "Too many requests", what + "; retry after " + waitSeconds + " s.", List.of(),
                Map.of("Retry-After", Long.toString(waitSeconds)));
    }

    void login(Context ctx) {
        Body b = body.apply(ctx, List.of("username", "password"));
        String username = b.text("username", true, 1, 100, false);
        String password = b.secret("password", true, 1, 200);
        b.done();
        String address = ctx.ip();
        LoginThrottle.Decision decision = throttle.acquire(username, address);
        if (decision.refused()) {
            log.debug("Login throttled for a username from {} (retry after {} s)", address, decision.retryAfterSeconds());
            throw tooMany("Too many login attempts from this address (for this username, or in all)",
                    decision.retryAfterSeconds());
        }
        if (!decision.delay().isZero()) { // many failures for this name from many addresses: slowed, never refused
            try {
                Thread.sleep(decision.delay());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throttle.giveBack(username, address, decision);
                throw Problems.unavailable("The service is stopping; retry shortly.");
            }
        }
        Optional<Map.Entry<Auction.User, String>> found;
        try {
            found = auction.credentials(username);
        } catch (RuntimeException e) { // the database did not answer: not a failed attempt
            throttle.giveBack(username, address, decision);
            throw e;
        }
        // Always one bcrypt check (a dummy hash for an unknown name); a password bcrypt cannot take is wrong.
        boolean ok = Passwords.verify(password, found.map(Map.Entry::getValue).orElse(null)) && found.isPresent();
        if (!ok) {
            throw ApiException.unauthorized("Wrong username or password.");
        }
        throttle.giveBack(username, address, decision);
        Auction.User u = found.get().getKey();
        Auth.Token t = auth.issue(u.id(), u.username(), u.role());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("token", t.token());
        out.put("tokenType", "Bearer");
        out.put("expiresAt", t.expiresAt());
        out.put("user", u);
        ctx.json(out);
    }
}
