package dev.warden.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The PgBouncer fixture's admin commands reach a real PgBouncer and do what PgBouncer documents. */
class PgBouncerTest {

    @Test
    void pauseHoldsANewQueryUntilResume() throws Exception {
        assumeThat(PgBouncer.requireUnlessSkippable()).as("pgbouncer installed").isTrue();
        try (ThrowawayDatabase db = ThrowawayDatabase.start("warden-pgbouncer-fixture", Map.of());
             PgBouncer bouncer = PgBouncer.start(db, PgBouncer.Mode.TRANSACTION)) {
            String url = bouncer.jdbcUrl() + "?prepareThreshold=0&socketTimeout=60";
            try (Connection c = DriverManager.getConnection(url, db.user(), "")) {
                assertThat(one(c)).isEqualTo(1);
                bouncer.pause();
                CompletableFuture<Integer> held = CompletableFuture.supplyAsync(() -> {
                    try {
                        return one(c);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                // Held, not failed: still running throughout half a second (a slow machine only holds it longer).
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30)).until(() -> !held.isDone());
                bouncer.resume();
                assertThat(held.get(30, TimeUnit.SECONDS)).isEqualTo(1);
            }
        }
    }

    private static int one(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
