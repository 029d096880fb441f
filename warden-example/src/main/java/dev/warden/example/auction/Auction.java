package dev.warden.example.auction;

import dev.warden.example.auction.Auth.Principal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The auction's rules and data, each operation one Warden transaction. Inputs arrive validated for
 * shape (types, lengths); the rules that depend on the data (status, owner, price) are checked here,
 * inside the transaction that writes, so that no other request can slip in between check and write.
 */
final class Auction {

    /** A user as the API shows it (never the password hash). */
    record User(long id, String username, String role, Instant createdAt) {
    }

    /**
     * A listing as the API shows it. Amounts are whole minor units (cents). Flat on purpose, past the
     * seven-component rule: it is one row of {@code LISTING_SELECT} and, field for field, the JSON
     * object of the API ({@code openapi.json}); it is built in one place, {@code listing(ResultSet, …)}, by column name.
     */
    record Listing(long id, long sellerId, String seller, String title, String description, String status,
                   long startingPrice, long minIncrement, Long currentPrice, long minimumNextBid, int bidCount,
                   Instant endsAt, Long winnerId, String winner, String rejectionReason, Instant createdAt,
                   Instant closedAt) {
    }

    /** One accepted bid. */
    record Bid(long id, long listingId, long bidderId, String bidder, long amount, String replica, Instant createdAt) {
    }

    /** One page of results. */
    record Page<T>(List<T> items, int page, int size, long total) {
    }

    /** Filters of the listing search; null means "any". */
    record ListingFilter(String status, Long sellerId, String q, Long minPrice, Long maxPrice, int page, int size) {
    }

    /** Changes to a pending listing; null fields stay as they are. */
    record ListingChanges(String title, String description, Long startingPrice, Long minIncrement, Instant endsAt) {
    }

    private static final String LISTING_SELECT = """
            select l.*, s.username as seller_name, w.username as winner_name
              from listing l
              join app_user s on s.id = l.seller_id
              left join app_user w on w.id = l.winner_id
            """;

    private final Db db;
    private final String replica;

    Auction(Db db, String replica) {
        this.db = db;
        this.replica = replica;
    }

    // ---- users ------------------------------------------------------------------------------

    User register(String username, String passwordHash) {
        return db.tx("register", h -> h.createQuery("""
                        insert into app_user (username, password_hash) values (:u, :p)
                        on conflict do nothing
                        returning id, username, role, created_at""")
                .bind("u", username).bind("p", passwordHash)
                .map(Auction::user).findOne()
                .orElseThrow(() -> ApiException.conflict("The username '" + username + "' is taken (names are"
                        + " compared regardless of case).")));
    }

    /** The user and their password hash, if the name exists. */
    Optional<Map.Entry<User, String>> credentials(String username) {
        return db.read("login", h -> h.createQuery("select id, username, role, created_at, password_hash"
                        + " from app_user where lower(username) = lower(:u)")
                .bind("u", username)
                .map((rs, ctx) -> Map.entry(user(rs, ctx), rs.getString("password_hash"))).findOne());
    }

    /** The user's current name and role, for a bearer token's subject. */
    Optional<Principal> principal(long id) {
        return db.read("get-principal", h -> h.createQuery("select id, username, role from app_user where id = :id")
                .bind("id", id).map((rs, ctx) -> new Principal(rs.getLong("id"), rs.getString("username"),
                        rs.getString("role"))).findOne());
    }

    User user(long id) {
        return db.read("get-user", h -> h.createQuery("select id, username, role, created_at from app_user where id = :id")
                .bind("id", id).map(Auction::user).findOne()
                .orElseThrow(() -> ApiException.notFound("User " + id + " does not exist.")));
    }

    // ---- listings ---------------------------------------------------------------------------

    Listing create(Principal seller, String title, String description, long startingPrice, long minIncrement,
                   Instant endsAt) {
        return db.tx("create-listing", h -> {
            long id = h.createQuery("""
                            insert into listing (seller_id, title, description, starting_price, min_increment, ends_at)
                            values (:seller, :title, :description, :start, :inc, :ends) returning id""")
                    .bind("seller", seller.userId()).bind("title", title).bind("description", description)
                    .bind("start", startingPrice).bind("inc", minIncrement)
                    .bind("ends", OffsetDateTime.ofInstant(endsAt, java.time.ZoneOffset.UTC))
                    .mapTo(Long.class).one();
            return find(h, id).orElseThrow();
        });
    }

    Listing get(Principal caller, long id) {
        return db.read("get-listing", h -> visible(h, caller, id));
    }

    Page<Listing> list(Principal caller, ListingFilter f) {
        return db.read("list-listings", h -> {
            StringBuilder where = new StringBuilder(" where l.status = :status");
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("status", f.status());
            if (("pending".equals(f.status()) || "rejected".equals(f.status())) && !caller.admin()) {
                where.append(" and l.seller_id = :me"); // others' unreviewed listings are not public
                params.put("me", caller.userId());
            }
            if (f.sellerId() != null) {
                where.append(" and l.seller_id = :seller");
                params.put("seller", f.sellerId());
            }
            if (f.q() != null) {
                where.append(" and l.title ilike :q escape '\\'");
                params.put("q", "%" + f.q().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
            }
            if (f.minPrice() != null) {
                where.append(" and coalesce(l.current_price, l.starting_price) >= :minPrice");
                params.put("minPrice", f.minPrice());
            }
            if (f.maxPrice() != null) {
                where.append(" and coalesce(l.current_price, l.starting_price) <= :maxPrice");
                params.put("maxPrice", f.maxPrice());
            }
            Query count = h.createQuery("select count(*) from listing l" + where);
            params.forEach(count::bind);
            long total = count.mapTo(Long.class).one();
            Query page = h.createQuery(LISTING_SELECT + where + " order by l.ends_at, l.id limit :limit offset :offset");
            params.forEach(page::bind);
            page.bind("limit", f.size()).bind("offset", (long) (f.page() - 1) * f.size());
            return new Page<>(page.map(Auction::listing).list(), f.page(), f.size(), total);
        });
    }

    Listing update(Principal caller, long id, ListingChanges c) {
        return db.tx("update-listing", h -> {
            Listing l = lockListing(h, id).orElseThrow(() -> ApiException.notFound("Listing " + id + " does not exist."));
            if (l.sellerId() != caller.userId()) {
                if (!caller.admin() && !isPublic(l)) {
                    throw ApiException.notFound("Listing " + id + " does not exist.");
                }
                throw ApiException.forbidden("Only the seller may change listing " + id + ".");
            }
            if (!"pending".equals(l.status()) && !"rejected".equals(l.status())) {
                throw ApiException.conflict("Listing " + id + " is " + l.status()
                        + "; only pending or rejected listings can be changed.");
            }
            h.createUpdate("""
                            update listing set title = coalesce(:title, title),
                                   description = coalesce(:description, description),
                                   starting_price = coalesce(:start, starting_price),
                                   min_increment = coalesce(:inc, min_increment),
                                   ends_at = coalesce(:ends, ends_at),
                                   status = 'pending', rejection_reason = null, updated_at = now()
                             where id = :id""")
                    .bind("title", c.title()).bind("description", c.description())
                    .bind("start", c.startingPrice()).bind("inc", c.minIncrement())
                    .bind("ends", c.endsAt() == null ? null : OffsetDateTime.ofInstant(c.endsAt(), java.time.ZoneOffset.UTC))
                    .bind("id", id).execute();
            return find(h, id).orElseThrow();
        });
    }

    Listing review(long id, boolean approved, String reason) {
        return db.tx("review-listing", h -> {
            Listing l = lockListing(h, id).orElseThrow(() -> ApiException.notFound("Listing " + id + " does not exist."));
            if (!"pending".equals(l.status())) {
                throw ApiException.conflict("Listing " + id + " is " + l.status() + "; only pending listings can be reviewed.");
            }
            if (approved && !h.createQuery("select ends_at > clock_timestamp() from listing where id = :id")
                    .bind("id", id).mapTo(Boolean.class).one()) {
                throw ApiException.conflict("Listing " + id + " ended at " + l.endsAt()
                        + " before it was approved; the seller must set a later end time.");
            }
            h.createUpdate("update listing set status = :s, rejection_reason = :r, updated_at = now() where id = :id")
                    .bind("s", approved ? "approved" : "rejected").bind("r", approved ? null : reason)
                    .bind("id", id).execute();
            return find(h, id).orElseThrow();
        });
    }

    // ---- bids -------------------------------------------------------------------------------

    /**
     * Places a bid: one transaction that locks the listing row, checks status, end time, seller and
     * amount against the locked (hence current) price, inserts the bid and moves the price to it.
     * Concurrent bids on one listing queue on the row lock, so the price always equals the highest
     * accepted bid, whichever replica each bid arrives at.
     */
    Bid bid(Principal bidder, long listingId, long amount) {
        return db.tx("place-bid", h -> {
            var row = h.createQuery("""
                            select seller_id, status, starting_price, min_increment, current_price,
                                   ends_at > clock_timestamp() as open
                              from listing where id = :id for update""")
                    .bind("id", listingId)
                    .map((rs, ctx) -> new Object[] {rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getLong(4),
                            (Long) rs.getObject(5, Long.class), rs.getBoolean(6)})
                    .findOne().orElseThrow(() -> ApiException.notFound("Listing " + listingId + " does not exist."));
            long seller = (Long) row[0];
            String status = (String) row[1];
            long starting = (Long) row[2];
            long increment = (Long) row[3];
            Long current = (Long) row[4];
            boolean open = (Boolean) row[5];
            if ("pending".equals(status) || "rejected".equals(status)) {
                if (seller != bidder.userId() && !bidder.admin()) {
                    throw ApiException.notFound("Listing " + listingId + " does not exist.");
                }
                throw ApiException.conflict("Listing " + listingId + " is " + status + "; bids are accepted only on"
                        + " approved listings.");
            }
            if ("closed".equals(status) || !open) {
                throw ApiException.conflict("The auction for listing " + listingId + " is closed.");
            }
            if (seller == bidder.userId()) {
                throw ApiException.forbidden("Sellers cannot bid on their own listing.");
            }
            long minimum = current == null ? starting : current + increment;
            if (amount < minimum) {
                throw ApiException.conflict("The bid must be at least " + minimum + (current == null
                        ? " (the starting price)." : " (current price " + current + " + minimum increment "
                        + increment + ")."));
            }
            Bid bid = h.createQuery("""
                            insert into bid (listing_id, bidder_id, amount, replica) values (:l, :b, :a, :r)
                            returning id, listing_id, bidder_id, :name as bidder, amount, replica, created_at""")
                    .bind("l", listingId).bind("b", bidder.userId()).bind("a", amount).bind("r", replica)
                    .bind("name", bidder.username())
                    .map(Auction::bid).one();
            h.createUpdate("update listing set current_price = :a, bid_count = bid_count + 1, updated_at = now()"
                    + " where id = :id").bind("a", amount).bind("id", listingId).execute();
            return bid;
        });
    }

    Page<Bid> bids(Principal caller, long listingId, int page, int size) {
        return db.read("list-bids", h -> {
            visible(h, caller, listingId);
            long total = h.createQuery("select count(*) from bid where listing_id = :id").bind("id", listingId)
                    .mapTo(Long.class).one();
            List<Bid> items = h.createQuery("""
                            select b.id, b.listing_id, b.bidder_id, u.username as bidder, b.amount, b.replica, b.created_at
                              from bid b join app_user u on u.id = b.bidder_id
                             where b.listing_id = :id order by b.amount desc limit :limit offset :offset""")
                    .bind("id", listingId).bind("limit", size).bind("offset", (long) (page - 1) * size)
                    .map(Auction::bid).list();
            return new Page<>(items, page, size, total);
        });
    }

    // ---- watchlist --------------------------------------------------------------------------

    void watch(Principal caller, long listingId) {
        db.tx("watch", h -> {
            visible(h, caller, listingId);
            h.createUpdate("insert into watch (user_id, listing_id) values (:u, :l) on conflict do nothing")
                    .bind("u", caller.userId()).bind("l", listingId).execute();
            return null;
        });
    }

    void unwatch(Principal caller, long listingId) {
        db.tx("unwatch", h -> h.createUpdate("delete from watch where user_id = :u and listing_id = :l")
                .bind("u", caller.userId()).bind("l", listingId).execute());
    }

    List<Listing> watchlist(Principal caller) {
        return db.read("watchlist", h -> h.createQuery(LISTING_SELECT
                        + " join watch on watch.listing_id = l.id where watch.user_id = :u order by l.ends_at, l.id")
                .bind("u", caller.userId()).map(Auction::listing).list());
    }

    // ---- closing ----------------------------------------------------------------------------

    /**
     * Closes every approved auction whose end time has passed, with its highest bidder as winner.
     * Safe to run on every replica at once: rows another replica is closing are skipped, and a
     * listing is closed under its row lock, so a bid either committed before (and can win) or sees
     * the listing closed.
     */
    int closeDue(int max) {
        return db.tx("close-auctions", h -> {
            List<Long> due = h.createQuery("""
                            select id from listing where status = 'approved' and ends_at <= clock_timestamp()
                             order by ends_at limit :max for update skip locked""")
                    .bind("max", max).mapTo(Long.class).list();
            for (long id : due) {
                h.createUpdate("""
                                update listing set status = 'closed', closed_at = now(), updated_at = now(),
                                       winner_id = (select bidder_id from bid where listing_id = :id
                                                     order by amount desc limit 1)
                                 where id = :id""").bind("id", id).execute();
            }
            return due.size();
        });
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static boolean isPublic(Listing l) {
        return "approved".equals(l.status()) || "closed".equals(l.status());
    }

    /** The listing if the caller may see it: approved/closed for anyone, pending/rejected for seller and admins. */
    private Listing visible(Handle h, Principal caller, long id) {
        Listing l = find(h, id).orElse(null);
        if (l == null || !(isPublic(l) || caller != null && (caller.admin() || caller.userId() == l.sellerId()))) {
            throw ApiException.notFound("Listing " + id + " does not exist.");
        }
        return l;
    }

    private static Optional<Listing> find(Handle h, long id) {
        return h.createQuery(LISTING_SELECT + " where l.id = :id").bind("id", id).map(Auction::listing).findOne();
    }

    private static Optional<Listing> lockListing(Handle h, long id) {
        if (h.createQuery("select id from listing where id = :id for update").bind("id", id).mapTo(Long.class)
                .findOne().isEmpty()) {
            return Optional.empty();
        }
        return find(h, id);
    }

    private static User user(ResultSet rs, StatementContext ctx) throws SQLException {
        return new User(rs.getLong("id"), rs.getString("username"), rs.getString("role"), instant(rs, "created_at"));
    }

    private static Listing listing(ResultSet rs, StatementContext ctx) throws SQLException {
        Long current = rs.getObject("current_price", Long.class);
        long increment = rs.getLong("min_increment");
        long starting = rs.getLong("starting_price");
        return new Listing(rs.getLong("id"), rs.getLong("seller_id"), rs.getString("seller_name"),
                rs.getString("title"), rs.getString("description"), rs.getString("status"), starting, increment,
                current, current == null ? starting : current + increment, rs.getInt("bid_count"),
                instant(rs, "ends_at"), rs.getObject("winner_id", Long.class), rs.getString("winner_name"),
                rs.getString("rejection_reason"), instant(rs, "created_at"), instant(rs, "closed_at"));
    }

    private static Bid bid(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Bid(rs.getLong("id"), rs.getLong("listing_id"), rs.getLong("bidder_id"), rs.getString("bidder"),
                rs.getLong("amount"), rs.getString("replica"), instant(rs, "created_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    static final List<String> STATUSES = List.of("pending", "approved", "rejected", "closed");
}
