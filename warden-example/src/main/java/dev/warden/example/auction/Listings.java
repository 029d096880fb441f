package dev.warden.example.auction;

import dev.warden.example.auction.Auth.Principal;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The listing, approval and bid endpoints: input checked for shape here (every bad field listed in
 * one 400), the rules that depend on the data checked by {@link Auction} inside the transaction that
 * writes.
 */
final class Listings {

    private static final long MAX_AMOUNT = 1_000_000_000_000L; // 10 billion in cents

    private final Auction auction;
    private final Auth auth;
    private final BiFunction<Context, List<String>, Body> bodies;

    Listings(Auction auction, Auth auth, BiFunction<Context, List<String>, Body> bodies) {
        this.auction = auction;
        this.auth = auth;
        this.bodies = bodies;
    }

    private Body body(Context ctx, String... fields) {
        return bodies.apply(ctx, List.of(fields));
    }

    void get(Context ctx) {
        ctx.json(auction.get(auth.optional(ctx).orElse(null), id(ctx, "id")));
    }

    void create(Context ctx) {
        Principal p = auth.require(ctx);
        Body b = body(ctx, "title", "description", "startingPrice", "minIncrement", "endsAt");
        String title = b.text("title", true, 3, 120, false);
        String description = b.text("description", false, 0, 4000, true);
        Long start = b.whole("startingPrice", true, 1, MAX_AMOUNT);
        Long inc = b.whole("minIncrement", true, 1, MAX_AMOUNT);
        Instant ends = b.instant("endsAt", true);
        if (ends != null && !ends.isAfter(Instant.now())) {
            b.error("endsAt", "must be in the future");
        }
        b.done();
        ctx.status(201).json(auction.create(p, title, description == null ? "" : description, start, inc, ends));
    }

    void update(Context ctx) {
        Principal p = auth.require(ctx);
        long id = id(ctx, "id");
        Body b = body(ctx, "title", "description", "startingPrice", "minIncrement", "endsAt");
        String title = b.text("title", false, 3, 120, false);
        String description = b.text("description", false, 0, 4000, true);
        Long start = b.whole("startingPrice", false, 1, MAX_AMOUNT);
        Long inc = b.whole("minIncrement", false, 1, MAX_AMOUNT);
        Instant ends = b.instant("endsAt", false);
        if (ends != null && !ends.isAfter(Instant.now())) {
            b.error("endsAt", "must be in the future");
        }
        b.done();
        ctx.json(auction.update(p, id, new Auction.ListingChanges(title, description, start, inc, ends)));
    }

    void review(Context ctx) {
        auth.requireAdmin(ctx);
        long id = id(ctx, "id");
        Body b = body(ctx, "approved", "reason");
        Boolean approved = b.bool("approved", true);
        String reason = b.text("reason", false, 1, 500, true);
        if (Boolean.FALSE.equals(approved) && reason == null && !b.has("reason")) {
            b.error("reason", "is required when rejecting");
        }
        b.done();
        ctx.json(auction.review(id, approved, reason));
    }

    void bid(Context ctx) {
        Principal p = auth.require(ctx);
        long id = id(ctx, "id");
        Body b = body(ctx, "amount");
        Long amount = b.whole("amount", true, 1, MAX_AMOUNT);
        b.done();
        ctx.status(201).json(auction.bid(p, id, amount));
    }

    void bids(Context ctx) {
        Principal p = auth.optional(ctx).orElse(null);
        long id = id(ctx, "id");
        List<ApiException.FieldError> errors = new ArrayList<>();
        int page = intParam(ctx, "page", 1, 1, 1_000_000, errors);
        int size = intParam(ctx, "size", 20, 1, 100, errors);
        if (!errors.isEmpty()) {
            throw ApiException.badRequest(errors);
        }
        ctx.json(auction.bids(p, id, page, size));
    }

    void list(Context ctx) {
        List<ApiException.FieldError> errors = new ArrayList<>();
        String status = ctx.queryParam("status");
        if (status == null) {
            status = "approved";
        } else if (!Auction.STATUSES.contains(status)) {
            errors.add(new ApiException.FieldError("status", "must be one of " + String.join(", ", Auction.STATUSES)));
        }
        Long seller = longParam(ctx, "sellerId", errors);
        Long min = longParam(ctx, "minPrice", errors);
        Long max = longParam(ctx, "maxPrice", errors);
        String q = ctx.queryParam("q");
        if (q != null && (q.length() > 100 || q.chars().anyMatch(Character::isISOControl))) {
            errors.add(new ApiException.FieldError("q", "must be at most 100 characters without control characters"));
        } else if (q != null && Body.invisibleProblem(q) != null) {
            errors.add(new ApiException.FieldError("q", Body.invisibleProblem(q)));
        }
        int page = intParam(ctx, "page", 1, 1, 1_000_000, errors);
        int size = intParam(ctx, "size", 20, 1, 100, errors);
        if (!errors.isEmpty()) {
            throw ApiException.badRequest(errors);
        }
        Principal caller = auth.optional(ctx).orElse(null);
        if (caller == null && ("pending".equals(status) || "rejected".equals(status))) {
            throw ApiException.unauthorized("Listings with status " + status + " are shown to their seller and admins only; send a bearer token.");
        }
        ctx.json(auction.list(caller == null ? new Principal(-1, "", "anonymous") : caller,
                new Auction.ListingFilter(status, seller, q == null || q.isEmpty() ? null : q, min, max, page, size)));
    }

    static long id(Context ctx, String name) {
        long v = AsciiNumbers.parse(ctx.pathParam(name)).orElse(0);
        if (v > 0) {
            return v;
        }
        throw ApiException.badRequest(name, "must be a positive whole number (ASCII digits)");
    }

    private static Long longParam(Context ctx, String name, List<ApiException.FieldError> errors) {
        String raw = ctx.queryParam(name);
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        var v = AsciiNumbers.parse(raw);
        if (v.isPresent()) {
            return v.getAsLong();
        }
        errors.add(new ApiException.FieldError(name, "must be a whole number, 0 or more (ASCII digits)"));
        return null;
    }

    private static int intParam(Context ctx, String name, int dflt, int min, int max, List<ApiException.FieldError> errors) {
        String raw = ctx.queryParam(name);
        if (raw == null || raw.isEmpty()) {
            return dflt;
        }
        long v = AsciiNumbers.parse(raw).orElse(-1);
        if (v >= min && v <= max) {
            return (int) v;
        }
        errors.add(new ApiException.FieldError(name, "must be a whole number from " + min + " to " + max));
        return dflt;
    }
}
