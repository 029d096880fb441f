package dev.warden.example.auction;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.testing.PostgresDatabase;
import dev.warden.testing.PostgresExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three service replicas (separate JVMs) on one PostgreSQL, 32 concurrent bidders, at least 1,500
 * bids spread over all replicas and a few listings: the current price of every listing equals its
 * highest accepted bid, every 2xx bid is stored, and no request gets a 5xx.
 */
class ReplicaConcurrencyTest {

    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.shared();

    static final int REPLICAS = 3;
    static final int BIDDERS = 32;
    static final int BIDS_PER_BIDDER = 50;
    static final int LISTINGS = 4;
    static final String SECRET = AuctionApiTest.randomSecret();

    record Accepted(long bidId, long listingId, long amount) {
    }

    @Test
    @Timeout(300)
    void threeReplicasKeepThePriceInvariantUnderConcurrentBids() throws Exception {
        PostgresDatabase db = pg.newDatabase("replicas");
        Map<String, String> env = Map.of("WARDEN_DB_URL", db.jdbcUrl(), "WARDEN_POOL_MAX_SIZE", "10",
                "AUCTION_JWT_SECRET", SECRET, "AUCTION_CLOSE_INTERVAL_MS", "500", "AUCTION_DEMO_DATA", "true");
        try (Replicas replicas = Replicas.start(REPLICAS, env, Path.of("target", "replica-logs"))) {
            boolean ready = replicas.awaitReady(Duration.ofSeconds(120));
            assertThat(ready).as("all replicas ready; logs:\n%s", replicas.all().stream()
                    .map(r -> r.name() + ":\n" + r.tail()).toList()).isTrue();

            List<Http> apis = replicas.all().stream().map(r -> new Http(r.url())).toList();
            // Exactly one replica ran the init (Warden's report of each); all agree on which and on the epoch.
            int ranHere = 0;
            List<Http> managements = replicas.all().stream().map(r -> new Http(r.managementUrl())).toList();
            JsonNode first = managements.get(0).get("/health", null).get("init");
            for (Http management : managements) {
                JsonNode init = management.get("/health", null).get("init");
                ranHere += init.get("initializedHere").asBoolean() ? 1 : 0;
                assertThat(init.get("status").asText()).isEqualTo("COMPLETED");
                assertThat(init.get("owner").asText()).isEqualTo(first.get("owner").asText());
                assertThat(init.get("epoch").asText()).isEqualTo(first.get("epoch").asText());
            }
            assertThat(ranHere).as("replicas that ran the init").isEqualTo(1);
            assertThat(db.queryLong("select count(*) from warden.init_log where event = 'completed'")).isEqualTo(1);
            assertThat(db.queryLong("select count(*) from auction.app_user")).isEqualTo(3);

            String admin = token(apis.get(0), "admin", "admin-password");
            String alice = token(apis.get(1), "alice", "alice-password");
            List<Long> listings = new ArrayList<>();
            for (int i = 0; i < LISTINGS; i++) {
                Http.Resp l = apis.get(i % REPLICAS).post("/listings", alice, AuctionApiTest.json(Map.of(
                        "title", "Contended " + i, "startingPrice", 100, "minIncrement", 5,
                        "endsAt", java.time.Instant.now().plus(Duration.ofHours(1)).toString())));
                assertThat(l.status()).as(l.raw()).isEqualTo(201);
                long id = l.get("id").asLong();
                assertThat(apis.get((i + 1) % REPLICAS).post("/admin/listings/" + id + "/approval", admin,
                        "{\"approved\":true}").status()).isEqualTo(200);
                listings.add(id);
            }
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < BIDDERS; i++) {
                Http api = apis.get(i % REPLICAS);
                String name = "bidder" + i;
                assertThat(api.post("/auth/register", null, AuctionApiTest.json(Map.of("username", name,
                        "password", "bidder-password"))).status()).isEqualTo(201);
                tokens.add(token(apis.get((i + 1) % REPLICAS), name, "bidder-password"));
            }

            ConcurrentLinkedQueue<Accepted> accepted = new ConcurrentLinkedQueue<>();
            Map<Integer, LongAdder> bidStatuses = new ConcurrentHashMap<>();
            Map<Integer, LongAdder> otherStatuses = new ConcurrentHashMap<>();
            Map<String, LongAdder> perReplica = new ConcurrentHashMap<>();
            ConcurrentLinkedQueue<String> serverErrors = new ConcurrentLinkedQueue<>();
            AtomicInteger done = new AtomicInteger();
            long t0 = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            for (int b = 0; b < BIDDERS; b++) {
                String token = tokens.get(b);
                threads.add(Thread.ofVirtual().name("bidder-" + b).start(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int n = 0; n < BIDS_PER_BIDDER; n++) {
                        int r = rnd.nextInt(REPLICAS);
                        Http api = apis.get(r);
                        long listing = listings.get(rnd.nextInt(LISTINGS));
                        Http.Resp current = api.get("/listings/" + listing, token);
                        otherStatuses.computeIfAbsent(current.status(), k -> new LongAdder()).increment();
                        if (current.status() >= 500) {
                            serverErrors.add("GET " + current.status() + " " + current.raw());
                            continue;
                        }
                        long amount = current.get("minimumNextBid").asLong() + 5L * rnd.nextInt(2);
                        Http.Resp bid = api.post("/listings/" + listing + "/bids", token, "{\"amount\":" + amount + "}");
                        bidStatuses.computeIfAbsent(bid.status(), k -> new LongAdder()).increment();
                        perReplica.computeIfAbsent("r" + (r + 1), k -> new LongAdder()).increment();
                        if (bid.status() == 201) {
                            JsonNode j = bid.json();
                            accepted.add(new Accepted(j.get("id").asLong(), j.get("listingId").asLong(),
                                    j.get("amount").asLong()));
                        } else if (bid.status() >= 500) {
                            serverErrors.add("POST " + bid.status() + " " + bid.raw());
                        }
                        done.incrementAndGet();
                    }
                }));
            }
            for (Thread t : threads) {
                t.join(Duration.ofSeconds(240));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            int bids = done.get();
            Map<Integer, Long> statusCounts = new HashMap<>();
            bidStatuses.forEach((k, v) -> statusCounts.put(k, v.sum()));
            System.out.printf("CONCURRENCY: %d replicas, %d bidders, %d bids in %.1f s = %.0f bids/s;"
                            + " bid statuses %s; GET statuses %s; per replica %s; accepted %d%n", REPLICAS, BIDDERS,
                    bids, seconds, bids / seconds, statusCounts, otherStatuses, perReplica, accepted.size());

            assertThat(serverErrors).as("5xx answers").isEmpty();
            assertThat(bids).isGreaterThanOrEqualTo(1500);
            assertThat(statusCounts.keySet()).as("bid statuses").isSubsetOf(201, 409);
            assertThat(accepted).isNotEmpty();

            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                // The invariant, for every listing: current price = highest accepted bid, count matches.
                try (ResultSet rs = st.executeQuery("""
                        select l.id, l.current_price, l.bid_count, max(b.amount) as top, count(b.id) as n
                          from auction.listing l left join auction.bid b on b.listing_id = l.id
                         group by l.id, l.current_price, l.bid_count""")) {
                    int checked = 0;
                    while (rs.next()) {
                        Long price = rs.getObject("current_price", Long.class);
                        Long top = rs.getObject("top", Long.class);
                        assertThat(price).as("listing %d current price vs highest bid", rs.getLong("id")).isEqualTo(top);
                        assertThat(rs.getLong("bid_count")).isEqualTo(rs.getLong("n"));
                        checked++;
                    }
                    assertThat(checked).isGreaterThanOrEqualTo(LISTINGS);
                }
                // Every 2xx bid is stored, with its amount, and nothing else is.
                Map<Long, Accepted> byId = new HashMap<>();
                accepted.forEach(a -> byId.put(a.bidId(), a));
                int stored = 0;
                try (ResultSet rs = st.executeQuery("select id, listing_id, amount from auction.bid")) {
                    while (rs.next()) {
                        Accepted a = byId.get(rs.getLong(1));
                        assertThat(a).as("stored bid %d was answered 201", rs.getLong(1)).isNotNull();
                        assertThat(rs.getLong(2)).isEqualTo(a.listingId());
                        assertThat(rs.getLong(3)).isEqualTo(a.amount());
                        stored++;
                    }
                }
                assertThat(stored).isEqualTo(accepted.size());
                System.out.printf("INVARIANT: holds for all listings; %d accepted bids answered 201 = %d stored%n",
                        accepted.size(), stored);
            }
        }
    }

    private static String token(Http api, String user, String password) {
        Http.Resp r = api.post("/auth/login", null, AuctionApiTest.json(Map.of("username", user, "password", password)));
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        return r.get("token").asText();
    }
}
