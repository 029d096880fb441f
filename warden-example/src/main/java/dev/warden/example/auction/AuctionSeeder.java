package dev.warden.example.auction;

import dev.warden.spi.Seeder;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Seed data of the auction: the demo users and a few approved listings. Warden runs it once per
 * epoch, after the migrations, in the transaction that marks the epoch COMPLETED
 * ({@code Warden.builder().seeder(AuctionSeeder.VERSION, new AuctionSeeder())}). Idempotent as well
 * (every insert is {@code on conflict do nothing}): a new epoch over existing data changes nothing.
 *
 * <p>Demo logins (for local demos only; change or drop them for anything real):
 * {@code admin / admin-password} (admin), {@code alice / alice-password}, {@code bob / bob-password}.
 */
public final class AuctionSeeder implements Seeder {

    /**
     * Version of this seed data; part of Warden's derived epoch. Change it when the data below
     * changes, so that every database gets the new data once.
     */
    public static final String VERSION = "auction-demo-1";

    /** Demo users: name, password, role. */
    public static final String[][] DEMO_USERS = {
            {"admin", "admin-password", "admin"},
            {"alice", "alice-password", "user"},
            {"bob", "bob-password", "user"},
    };

    /** Seeds the demo data on the initialisation's connection (Warden commits it); safe to run again. */
    @Override
    public void seed(Context context) throws Exception {
        Connection c = context.connection();
        try (PreparedStatement user = c.prepareStatement(
                "insert into app_user (username, password_hash, role) values (?, ?, ?) on conflict (username) do nothing")) {
            for (String[] u : DEMO_USERS) {
                user.setString(1, u[0]);
                user.setString(2, Passwords.hash(u[1]));
                user.setString(3, u[2]);
                user.addBatch();
            }
            user.executeBatch();
        }
        context.progress(DEMO_USERS.length + " demo users");
        Object[][] listings = {
                {"seed-1", "Vintage mechanical keyboard", "Model M, 1989, works perfectly.", 5_000L, 250L},
                {"seed-2", "Road bike, 56 cm", "Steel frame, new tyres.", 20_000L, 1_000L},
                {"seed-3", "First edition paperback", "Slightly foxed; a collector's piece.", 1_500L, 100L},
        };
        Instant ends = Instant.now().plus(Duration.ofDays(7));
        try (PreparedStatement listing = c.prepareStatement("""
                insert into listing (seller_id, title, description, starting_price, min_increment, ends_at, status, seed_key)
                select id, ?, ?, ?, ?, ?, 'approved', ? from app_user where username = 'alice'
                on conflict (seed_key) do nothing""")) {
            for (Object[] l : listings) {
                listing.setString(1, (String) l[1]);
                listing.setString(2, (String) l[2]);
                listing.setLong(3, (Long) l[3]);
                listing.setLong(4, (Long) l[4]);
                listing.setObject(5, OffsetDateTime.ofInstant(ends, ZoneOffset.UTC));
                listing.setString(6, (String) l[0]);
                listing.addBatch();
            }
            listing.executeBatch();
        }
        context.progress(listings.length + " listings");
    }
}
