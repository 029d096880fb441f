package dev.warden.pooler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.Pooler;
import dev.warden.State;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.PgBouncer;
import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 20: Warden behind a real PgBouncer 1.18 in session mode ({@code WARDEN_POOLER=session}), with
 * the URL as a user writes it, an application schema that is not {@code public} and a statement
 * timeout. Session mode keeps a server connection per client, so session state is safe; what it does
 * not give is the start-up packet: stock PgBouncer refuses {@code options} and {@code search_path}
 * there as in transaction mode. Before the fix Warden sent both (and the initialisation's options)
 * and the start failed with {@code unsupported startup parameter}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PgBouncerSessionModeTest {

    @RegisterExtension
    static final PgBouncerFixture pooler = new PgBouncerFixture("pgbouncer-session", PgBouncer.Mode.SESSION,
            Map.of("default_pool_size", "40"));

    private static WardenConfig config() {
        // The advisory lock (the default) through the pooler: a session-mode pooler keeps the session.
        return WardenConfig.builder().environment(Map.of())
                .dbUrl(pooler.bouncer().jdbcUrl())
                .dbUser(ThrowawayDatabase.USER)
                .pooler(Pooler.SESSION)
                .schemas("shop")
                .statementTimeout(Duration.ofMillis(4321))
                .initEpoch("s1")
                .initTimeout(Duration.ofSeconds(60))
                .poolMaxSize(4)
                .build();
    }

    @Test
    void initialisationCompletesOnceAndWritesCommitThroughASessionPooler() throws Exception {
        AtomicInteger seeded = new AtomicInteger();
        List<Warden> wardens = PgBouncerFixture.startTogether(3, () -> {
            Warden.Builder b = Warden.builder().config(config());
            b.seeder("orders-1", ctx -> {
                seeded.incrementAndGet();
                try (Statement st = ctx.connection().createStatement()) {
                    st.execute("create schema if not exists shop");
                    st.execute("create table shop.orders (id bigint primary key)");
                }
            });
            return b.build().start();
        });
        try {
            assertThat(seeded.get()).as("seeder runs").isEqualTo(1);
            assertThat(wardens).allSatisfy(w -> assertThat(w.state()).isEqualTo(State.READY));
            Warden warden = wardens.get(0);
            String[] inside = warden.inTransaction(tx -> {
                try (Statement st = tx.connection().createStatement();
                     ResultSet rs = st.executeQuery("select current_setting('statement_timeout'), current_schemas(false)::text")) {
                    rs.next();
                    return new String[] {rs.getString(1), rs.getString(2)};
                }
            });
            assertThat(inside[0]).as("statement_timeout inside a transaction").isEqualTo("4321ms");
            assertThat(inside[1]).as("search path inside a transaction").startsWith("{shop");
            Set<Long> acknowledged = new HashSet<>();
            for (long id = 1; id <= 200; id++) {
                long i = id;
                // unqualified: the search path set per transaction must find shop.orders; each of the
                // three Wardens writes, on its own pooled server connections
                wardens.get((int) (id % 3)).useTransaction(tx -> {
                    try (PreparedStatement ps = tx.connection().prepareStatement("insert into orders values (?)")) {
                        ps.setLong(1, i);
                        ps.executeUpdate();
                    }
                });
                acknowledged.add(id);
            }
            Set<Long> stored = new HashSet<>();
            try (Connection c = DriverManager.getConnection(pooler.db().jdbcUrl(), ThrowawayDatabase.USER, "");
                 Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select id from shop.orders")) {
                while (rs.next()) {
                    stored.add(rs.getLong(1));
                }
            }
            assertThat(stored).as("committed writes").isEqualTo(acknowledged);
        } finally {
            wardens.forEach(Warden::close);
        }
    }
    /**
     * Flyway through the session pooler, three Wardens at once (the advisory lock through the pooler
     * too): the migration is applied once, recorded once, and every Warden ends READY. Flyway's
     * connections must not send start-up {@code options} either (stock PgBouncer refuses them), and
     * its session lock needs the session that session mode keeps.
     */
    @Test
    void migrationsRunOnceThroughASessionPooler() throws Exception {
        List<Warden> wardens = PgBouncerFixture.startTogether(3, () -> Warden.builder().config(
                WardenConfig.builder().environment(Map.of())
                        .dbUrl(pooler.bouncer().jdbcUrl())
                        .dbUser(ThrowawayDatabase.USER)
                        .pooler(Pooler.SESSION)
                        .schemas("mig")
                        .migrations("classpath:db/inittest")
                        .initEpoch("s-mig")
                        .initTimeout(Duration.ofSeconds(60))
                        .poolMaxSize(2)
                        .build()).build().start());
        try {
            assertThat(wardens).allSatisfy(w -> assertThat(w.state()).isEqualTo(State.READY));
            try (Connection c = DriverManager.getConnection(pooler.db().jdbcUrl(), ThrowawayDatabase.USER, "");
                 Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select version, count(*) from mig.flyway_schema_history"
                         + " where success and version is not null group by version order by version")) {
                Map<String, Long> applied = new TreeMap<>();
                while (rs.next()) {
                    applied.put(rs.getString(1), rs.getLong(2));
                }
                assertThat(applied).as("versions applied, each once").containsExactly(
                        Map.entry("1", 1L), Map.entry("2", 1L));
            }
            long rows = wardens.get(2).inTransaction(tx -> {
                try (Statement st = tx.connection().createStatement();
                     ResultSet rs = st.executeQuery("select count(*) from item")) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
            assertThat(rows).as("the migrated table, unqualified, through the pooler").isZero();
        } finally {
            wardens.forEach(Warden::close);
        }
    }
}
