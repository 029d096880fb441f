package dev.warden.example.auction;

import dev.warden.Warden;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INTERIM SEAM — replaced by Warden's exactly-once initialisation (issue 3) when it is merged:
 * {@code Warden.builder().migrations("classpath:db/migration/auction").seeder(new AuctionSeeder()::seed)}.
 *
 * <p>Until then this class migrates the schema (Flyway, {@code classpath:db/migration/auction}) and
 * runs {@link AuctionSeeder} once per seed epoch, serialised across replicas: the whole step runs
 * inside one Warden transaction that first takes {@code pg_advisory_xact_lock}, so a second replica
 * waits, then finds the epoch recorded in {@code auction_init} and skips. The replica that ran the
 * seed is recorded there and logged as {@code INIT ran by this replica}.
 */
public final class AuctionSchema {

    /** Advisory lock key of the interim init ("auction" in ASCII, as a number). */
    static final long LOCK_KEY = 0x61756374696f6eL;
    private static final Logger log = LoggerFactory.getLogger(AuctionSchema.class);

    /** What the init step did in this process. */
    public record Result(boolean ranHere, String initializedBy, String epoch, int migrationsApplied) {
    }

    private AuctionSchema() {
    }

    /**
     * Migrates and seeds (epoch {@code epoch}) unless another replica already did; blocks while
     * another replica is doing it. {@code replica} names this process in the record.
     */
    public static Result apply(Warden warden, String replica, String epoch) {
        return warden.transaction().label("auction-init").call(tx -> {
            try (PreparedStatement lock = tx.connection().prepareStatement("select pg_advisory_xact_lock(?)")) {
                lock.setLong(1, LOCK_KEY);
                lock.execute();
            }
            // Flyway uses its own connection (and its own lock); ours holds the advisory lock meanwhile.
            MigrateResult migrated = Flyway.configure()
                    .dataSource(warden.dataSource())
                    .locations("classpath:db/migration/auction")
                    .schemas(warden.config().schemas().toArray(String[]::new))
                    .load().migrate();
            String by;
            try (PreparedStatement q = tx.connection().prepareStatement(
                    "select initialized_by from auction_init where epoch = ?")) {
                q.setString(1, epoch);
                try (ResultSet rs = q.executeQuery()) {
                    by = rs.next() ? rs.getString(1) : null;
                }
            }
            if (by != null) {
                log.info("INIT already done for epoch {} by {}; this replica ({}) skipped it", epoch, by, replica);
                return new Result(false, by, epoch, migrated.migrationsExecuted);
            }
            new AuctionSeeder().seed(tx);
            try (PreparedStatement mark = tx.connection().prepareStatement(
                    "insert into auction_init (epoch, initialized_by) values (?, ?)")) {
                mark.setString(1, epoch);
                mark.setString(2, replica);
                mark.executeUpdate();
            }
            tx.afterCommit(() -> log.info("INIT ran by this replica ({}): epoch {}, {} migration(s) applied",
                    replica, epoch, migrated.migrationsExecuted));
            return new Result(true, replica, epoch, migrated.migrationsExecuted);
        });
    }
}
