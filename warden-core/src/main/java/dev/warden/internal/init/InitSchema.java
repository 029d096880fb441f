package dev.warden.internal.init;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Warden's own tables, in its own schema ({@code WARDEN_SCHEMA}, never one of the application
 * schemas, so a wipe cannot delete them). Created if missing and upgraded in place, version by
 * version ({@code schema_version}), under a transaction-level advisory lock so that many processes
 * starting at once do not race on the DDL.
 * <p>
 * Epochs are recorded per <em>scope</em>: the application's schemas, so that two services sharing
 * one database (and Warden's schema) never see each other's epochs or wait for each other's lock.
 */
public final class InitSchema {

    /** First key of every advisory lock Warden takes: "WARD". */
    static final int LOCK_SPACE = 0x57415244;

    /**
     * The layout this code writes: 1 = the first (epochs keyed by name), 2 = epochs scoped per
     * application, failures counted, 3 = the migration a holder runs recorded on its epoch.
     */
    static final int VERSION = 3;

    private InitSchema() {
    }

    /** The second advisory-lock key for a name within Warden's schema; never negative. */
    static int lockKey(String schema, String name) {
        return (schema + "/" + name).hashCode() & 0x7fffffff;
    }

    /** An application's scope: its schemas, sorted and comma-separated. */
    public static String scope(List<String> schemas) {
        return String.join(",", schemas.stream().sorted().toList());
    }

    /** The name of the init lock of the application with these schemas. */
    public static String lockName(List<String> schemas) {
        return "init:" + scope(schemas);
    }

    /** Creates the schema, tables and token sequence if missing, upgrades an older layout, and commits. */
    public static void ensure(Connection c, String schema) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            lockBootstrap(c, schema);
            st.execute("create schema if not exists " + schema);
            st.execute("create sequence if not exists " + schema + ".fencing_tokens");
            st.execute("create table if not exists " + schema + ".schema_version (version integer not null)");
            int version = version(st, schema);
            if (version < 1) {
                createVersion1(st, schema);
            }
            if (version < 2) {
                upgradeTo2(st, schema);
            }
            if (version < 3) {
                upgradeTo3(st, schema);
            }
            if (version < VERSION) {
                st.execute("delete from " + schema + ".schema_version");
                st.execute("insert into " + schema + ".schema_version (version) values (" + VERSION + ")");
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Takes the transaction lock that serialises changes to Warden's schema (in the caller's transaction). */
    static void lockBootstrap(Connection c, String schema) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("select pg_advisory_xact_lock(" + LOCK_SPACE + ", " + lockKey(schema, "bootstrap") + ")");
        }
    }

    /**
     * Refuses to initialise when another application recorded in Warden's schema has schemas that
     * overlap this one's without being the same set ({@code a,b} and {@code b,c}): their epochs and
     * locks are apart, so a wipe or a migration of one would change the other's schema unseen.
     *
     * @throws dev.warden.InitFailedException naming both sets and what to do
     */
    public static void refuseOverlap(Connection c, String schema, List<String> schemas) throws SQLException {
        String mine = scope(schemas);
        try (java.sql.PreparedStatement ps = c.prepareStatement("select distinct scope from " + schema + ".init_epochs"
                + " where scope <> '' and scope <> ? and string_to_array(scope, ',') && ? order by 1")) {
            ps.setString(1, mine);
            ps.setArray(2, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    String other = rs.getString(1);
                    List<String> shared = schemas.stream().filter(List.of(other.split(","))::contains).sorted().toList();
                    throw new dev.warden.InitFailedException("The schemas of this application (WARDEN_SCHEMAS=" + mine
                            + ") overlap those of another application initialised in this database (" + other
                            + ", recorded in " + schema + ".init_epochs): both would wipe and migrate " + shared
                            + " without seeing each other. Give each application schemas of its own, or the same"
                            + " set (WARDEN_SCHEMAS) so that they share one epoch and one lock. If '" + other + "' was an"
                            + " earlier configuration of this application, remove its records: delete from " + schema
                            + ".init_epochs where scope = '" + other + "'.", null);
                }
            }
        }
    }

    /** The recorded version; a schema from before versions were recorded that has its tables is version 1. */
    private static int version(Statement st, String schema) throws SQLException {
        try (ResultSet rs = st.executeQuery("select max(version) from " + schema + ".schema_version")) {
            rs.next();
            int v = rs.getInt(1);
            if (!rs.wasNull()) {
                return v;
            }
        }
        try (ResultSet rs = st.executeQuery("select to_regclass('" + schema + ".init_epochs') is not null")) {
            rs.next();
            return rs.getBoolean(1) ? 1 : 0;
        }
    }

    private static void createVersion1(Statement st, String schema) throws SQLException {
        st.execute("""
                create table if not exists %s.init_epochs (
                    epoch       text primary key,
                    status      text not null check (status in ('IN_PROGRESS', 'COMPLETED', 'FAILED')),
                    owner       text,
                    token       bigint,
                    attempts    integer not null default 0,
                    started_at  timestamptz,
                    wiped_at    timestamptz,
                    finished_at timestamptz,
                    error       text)""".formatted(schema));
        st.execute("""
                create table if not exists %s.init_log (
                    id     bigserial primary key,
                    epoch  text not null,
                    token  bigint,
                    owner  text not null,
                    event  text not null,
                    detail text,
                    at     timestamptz not null default clock_timestamp())""".formatted(schema));
        st.execute("""
                create table if not exists %s.locks (
                    name        text primary key,
                    owner       text,
                    token       bigint not null,
                    acquired_at timestamptz not null,
                    expires_at  timestamptz not null)""".formatted(schema));
    }

    /**
     * Version 2: epochs keyed by (scope, epoch), and failed attempts counted apart from started ones.
     * Rows from version 1 keep the empty scope until the first application that names the same
     * epoch adopts them ({@link Epochs#adoptLegacy}); a FAILED one keeps its attempts as failures,
     * so a given-up epoch stays given up.
     */
    private static void upgradeTo2(Statement st, String schema) throws SQLException {
        st.execute("alter table " + schema + ".init_epochs add column if not exists scope text not null default ''");
        st.execute("alter table " + schema + ".init_epochs add column if not exists failures integer not null default 0");
        st.execute("update " + schema + ".init_epochs set failures = attempts where status = 'FAILED'");
        st.execute("alter table " + schema + ".init_epochs drop constraint if exists init_epochs_pkey");
        st.execute("alter table " + schema + ".init_epochs add primary key (scope, epoch)");
        st.execute("alter table " + schema + ".init_log add column if not exists scope text not null default ''");
    }

    /**
     * Version 3: the migration the holder runs (version, description, whether in a transaction,
     * since when), written by the holder before each migration so that waiters, the health report
     * and a holder taking over know it; left in place by a holder that died in it.
     */
    private static void upgradeTo3(Statement st, String schema) throws SQLException {
        st.execute("alter table " + schema + ".init_epochs add column if not exists migration_version text,"
                + " add column if not exists migration_description text,"
                + " add column if not exists migration_in_tx boolean,"
                + " add column if not exists migration_started_at timestamptz");
    }
}
