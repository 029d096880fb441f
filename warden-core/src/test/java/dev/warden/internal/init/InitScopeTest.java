package dev.warden.internal.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.InitFailedException;
import dev.warden.InitStatus;
import dev.warden.TestConfig;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.SharedPostgres;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Epochs and the init lock belong to one application (its schemas): two services sharing a
 * database and Warden's schema never skip each other's initialisation; a schema written by an
 * older Warden is upgraded in place without initialising a completed epoch again.
 */
class InitScopeTest {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private String meta;
    private String shop;
    private String billing;
    private final List<Warden> wardens = new ArrayList<>();

    @BeforeEach
    void names() {
        int n = SEQ.incrementAndGet();
        meta = "scopemeta_" + n;
        shop = "scopeshop_" + n;
        billing = "scopebilling_" + n;
    }

    @AfterEach
    void close() {
        wardens.forEach(Warden::close);
        SharedPostgres.exec("drop schema if exists " + meta + " cascade", "drop schema if exists " + shop + " cascade",
                "drop schema if exists " + billing + " cascade");
    }

    private Warden start(String schema, String epoch, AtomicInteger runs) {
        return start(new String[] {schema}, epoch, runs);
    }

    private Warden start(String[] schemas, String epoch, AtomicInteger runs) {
        WardenConfig cfg = TestConfig.sharedPostgres().poolMaxSize(1).schemas(schemas).wardenSchema(meta)
                .applicationName("scope-test").initEpoch(epoch).build();
        Warden w = Warden.builder().config(cfg).seeder("v1", ctx -> runs.incrementAndGet()).build();
        wardens.add(w);
        return w.start();
    }

    @Test
    void anApplicationWhoseSchemasOverlapAnothersIsRefusedWithBothSetsNamed() {
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        start(new String[] {shop, billing}, "e1", first);
        String common = "scopecommon_" + SEQ.get();
        try {
            assertThatThrownBy(() -> start(new String[] {billing, common}, "e1", second))
                    .isInstanceOf(InitFailedException.class)
                    .hasMessageContaining("WARDEN_SCHEMAS=" + InitSchema.scope(List.of(billing, common)))
                    .hasMessageContaining(InitSchema.scope(List.of(shop, billing)))
                    .hasMessageContaining("[" + billing + "]");
            assertThat(second).as("nothing of the refused application ran").hasValue(0);
            // The same set is the same application: it shares the epoch and the lock.
            assertThat(start(new String[] {billing, shop}, "e1", second).initStatus().orElseThrow().initializedHere())
                    .isFalse();
        } finally {
            SharedPostgres.exec("drop schema if exists " + common + " cascade");
        }
    }

    @Test
    void twoApplicationsWithTheSameEpochNameEachInitialiseOnce() {
        AtomicInteger shopRuns = new AtomicInteger();
        AtomicInteger billingRuns = new AtomicInteger();
        assertThat(start(shop, "release-7", shopRuns).initStatus().orElseThrow().initializedHere()).isTrue();
        assertThat(start(billing, "release-7", billingRuns).initStatus().orElseThrow().initializedHere())
                .as("another application's COMPLETED epoch of the same name is not this one's").isTrue();
        assertThat(start(shop, "release-7", shopRuns).initStatus().orElseThrow().initializedHere()).isFalse();
        assertThat(start(billing, "release-7", billingRuns).initStatus().orElseThrow().initializedHere()).isFalse();
        assertThat(shopRuns).hasValue(1);
        assertThat(billingRuns).hasValue(1);
        assertThat(SharedPostgres.queryLong("select count(*) from " + meta + ".init_epochs where epoch = 'release-7'"
                + " and status = 'COMPLETED'")).isEqualTo(2);
        assertThat(InitSchema.lockName(List.of(shop))).isNotEqualTo(InitSchema.lockName(List.of(billing)));
    }

    @Test
    void aSchemaWrittenByAnOlderWardenIsUpgradedInPlaceAndItsCompletedEpochKept() {
        // The layout before epochs were scoped (schema version 1, never recorded as such).
        SharedPostgres.exec("create schema " + meta,
                "create sequence " + meta + ".fencing_tokens",
                "create table " + meta + ".init_epochs (epoch text primary key, status text not null check (status in"
                        + " ('IN_PROGRESS', 'COMPLETED', 'FAILED')), owner text, token bigint, attempts integer not null"
                        + " default 0, started_at timestamptz, wiped_at timestamptz, finished_at timestamptz, error text)",
                "create table " + meta + ".init_log (id bigserial primary key, epoch text not null, token bigint,"
                        + " owner text not null, event text not null, detail text,"
                        + " at timestamptz not null default clock_timestamp())",
                "create table " + meta + ".locks (name text primary key, owner text, token bigint not null,"
                        + " acquired_at timestamptz not null, expires_at timestamptz not null)",
                "insert into " + meta + ".init_epochs (epoch, status, owner, token, attempts, finished_at)"
                        + " values ('release-6', 'COMPLETED', 'old@host:1/abc', 3, 1, now()),"
                        + " ('broken-1', 'FAILED', 'old@host:2/def', 4, 3, now())");
        AtomicInteger runs = new AtomicInteger();
        InitStatus s = start(shop, "release-6", runs).initStatus().orElseThrow();
        assertThat(s.initializedHere()).as("the completed epoch is not initialised again after the upgrade").isFalse();
        assertThat(s.owner().name()).isEqualTo("old@host:1/abc");
        assertThat(runs).hasValue(0);
        assertThat(SharedPostgres.queryLong("select max(version) from " + meta + ".schema_version"))
                .isEqualTo(InitSchema.VERSION);
        assertThat(SharedPostgres.queryLong("select count(*) from " + meta + ".init_epochs where epoch = 'release-6'"
                + " and scope = '" + shop + "'")).as("adopted by the application that named it").isEqualTo(1);
        assertThat(SharedPostgres.queryLong("select failures from " + meta + ".init_epochs where epoch = 'broken-1'"))
                .as("a given-up epoch stays given up").isEqualTo(3);
        // A second application naming the same epoch initialises its own.
        AtomicInteger billingRuns = new AtomicInteger();
        assertThat(start(billing, "release-6", billingRuns).initStatus().orElseThrow().initializedHere()).isTrue();
        assertThat(billingRuns).hasValue(1);
        // And the upgrade is idempotent: the next start changes nothing.
        assertThat(start(shop, "release-6", runs).initStatus().orElseThrow().initializedHere()).isFalse();
        assertThat(SharedPostgres.queryLong("select count(*) from " + meta + ".schema_version")).isEqualTo(1);
    }
}
