package dev.warden.example.auction;

import dev.warden.tx.Tx;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;

/**
 * Seed data of the auction: the demo users and a few approved listings. Idempotent (every insert is
 * {@code on conflict do nothing}), so running it twice changes nothing. Its signature is Warden's
 * {@code Seeder} ({@code void seed(Tx tx) throws Exception}), so it plugs into Warden's exactly-once
 * initialisation unchanged.
 *
 * <p>Demo logins (for local demos only; change or drop them for anything real):
 * {@code admin / admin-password} (admin), {@code alice / alice-password}, {@code bob / bob-password}.
 */
public final class AuctionSeeder {

    /** Demo users: name, password, role. */
    public static final String[][] DEMO_USERS = {
            {"admin", "admin-password", "admin"},
            {"alice", "alice-password", "user"},
            {"bob", "bob-password", "user"},
    };

    /** Seeds the demo data inside {@code tx}; safe to run again. */
    public void seed(Tx tx) throws Exception {
        try (PreparedStatement user = tx.connection().prepareStatement(
                "insert into app_user (username, password_hash, role) values (?, ?, ?) on conflict (username) do nothing")) {
            for (String[] u : DEMO_USERS) {
                user.setString(1, u[0]);
                user.setString(2, Passwords.hash(u[1]));
                user.setString(3, u[2]);
                user.addBatch();
            }
            user.executeBatch();
        }
        Object[][] listings = {
                {"seed-1", "Vintage mechanical keyboard", "Model M, 1989, works perfectly.", 5_000L, 250L},
                {"seed-2", "Road bike, 56 cm", "Steel frame, new tyres.", 20_000L, 1_000L},
                {"seed-3", "First edition paperback", "Slightly foxed; a collector's piece.", 1_500L, 100L},
        };
        Instant ends = Instant.now().plus(Duration.ofDays(7));
        try (PreparedStatement listing = tx.connection().prepareStatement("""
                insert into listing (seller_id, title, description, starting_price, min_increment, ends_at, status, seed_key)
                select id, ?, ?, ?, ?, ?, 'approved', ? from app_user where username = 'alice'
                on conflict (seed_key) do nothing""")) {
            for (Object[] l : listings) {
                listing.setString(1, (String) l[1]);
                listing.setString(2, (String) l[2]);
                listing.setLong(3, (Long) l[3]);
                listing.setLong(4, (Long) l[4]);
                listing.setObject(5, java.time.OffsetDateTime.ofInstant(ends, java.time.ZoneOffset.UTC));
                listing.setString(6, (String) l[0]);
                listing.addBatch();
            }
            listing.executeBatch();
        }
    }
}
