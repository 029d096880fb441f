package dev.warden.example.auction;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.DecodedJWT;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Function;

/**
 * Bearer tokens: HS256 JWTs ({@code com.auth0:java-jwt}) with subject = user id, the user's name and
 * role, and an expiry. Every replica that shares the secret accepts the others' tokens. A token must
 * carry an expiry ({@code exp}); the caller's name and role are read from the database on every
 * request (the claims are informative only), so a changed role or a deleted user takes effect at
 * once, not when the token expires.
 */
final class Auth {

    static final String ISSUER = "warden-auction";

    /** Who is calling, as the token says. */
    record Principal(long userId, String username, String role) {
        boolean admin() {
            return "admin".equals(role);
        }
    }

    /** A token and when it expires. */
    record Token(String token, Instant expiresAt) {
    }

    private final Algorithm algorithm;
    private final JWTVerifier verifier;
    private final Duration ttl;
    private final Clock clock;
    private final Function<Long, Optional<Principal>> users;

    /** {@code users} finds a user's current name and role by id (in the database). */
    Auth(byte[] secret, Duration ttl, Clock clock, Function<Long, Optional<Principal>> users) {
        this.algorithm = Algorithm.HMAC256(secret);
        this.verifier = JWT.require(algorithm).withIssuer(ISSUER).withClaimPresence("role")
                .withClaimPresence("name").withClaimPresence("exp").build();
        this.ttl = ttl;
        this.clock = clock;
        this.users = users;
    }

    Token issue(long userId, String username, String role) {
        Instant now = clock.instant();
        Instant expires = now.plus(ttl);
        String token = JWT.create().withIssuer(ISSUER).withSubject(Long.toString(userId))
                .withClaim("name", username).withClaim("role", role)
                .withIssuedAt(now).withExpiresAt(expires).sign(algorithm);
        return new Token(token, expires);
    }

    /** The caller, or 401 when the request has no valid bearer token. */
    Principal require(Context ctx) {
        return optional(ctx).orElseThrow(() -> ApiException.unauthorized(
                "This request needs a bearer token: log in with POST /auth/login and send"
                        + " 'Authorization: Bearer <token>'."));
    }

    /** 403 unless the caller is an admin. */
    Principal requireAdmin(Context ctx) {
        Principal p = require(ctx);
        if (!p.admin()) {
            throw ApiException.forbidden("Only an admin may do this.");
        }
        return p;
    }

    /**
     * True when the token is three base64url parts, each exactly as it encodes (no padding, no
     * non-zero unused bits in the last character). Base64 decoders ignore those bits, so without
     * this check one signature has several spellings: a token changed in its last character, or with a
     * trailing {@code =}, would verify. A token is accepted in the one form the service issued.
     */
    static boolean canonical(String token) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return false;
        }
        Base64.Decoder decoder = Base64.getUrlDecoder();
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        for (String part : parts) {
            if (part.isEmpty() || part.indexOf('=') >= 0) {
                return false;
            }
            try {
                if (!encoder.encodeToString(decoder.decode(part)).equals(part)) {
                    return false;
                }
            } catch (IllegalArgumentException notBase64) {
                return false;
            }
        }
        return true;
    }

    /** The caller when a token is sent (401 when it is invalid), empty when none is sent. */
    Optional<Principal> optional(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            throw ApiException.unauthorized("The Authorization header must be 'Bearer <token>'.");
        }
        String token = header.substring(7).trim();
        if (!canonical(token)) {
            throw ApiException.unauthorized("The bearer token is not valid (bad signature, format or claims); log in again.");
        }
        long id;
        try {
            DecodedJWT jwt = verifier.verify(token);
            id = AsciiNumbers.parse(jwt.getSubject()).orElseThrow(() -> new NumberFormatException("subject"));
        } catch (TokenExpiredException e) {
            throw ApiException.unauthorized("The bearer token expired at " + e.getExpiredOn() + "; log in again.");
        } catch (JWTVerificationException | NumberFormatException e) {
            throw ApiException.unauthorized("The bearer token is not valid (bad signature, format or claims); log in again.");
        }
        return Optional.of(users.apply(id).orElseThrow(() -> ApiException.unauthorized(
                "The bearer token's user no longer exists; log in again.")));
    }
}
