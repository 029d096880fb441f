package dev.warden.init;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Warden's own tables, in its own schema ({@code WARDEN_SCHEMA}, never one of the application
 * schemas, so a wipe cannot delete them). Created if missing, under a transaction-level advisory
 * lock so that many processes starting at once do not race on {@code CREATE ... IF NOT EXISTS}.
 */
public final class InitSchema {

    /** First key of every advisory lock Warden takes: "WARD". */
    static final int LOCK_SPACE = 0x57415244;

    private InitSchema() {
    }

    /** The second advisory-lock key for a name within Warden's schema; never negative. */
    static int lockKey(String schema, String name) {
        return (schema + "/" + name).hashCode() & 0x7fffffff;
    }

    /** Creates the schema, tables and token sequence if missing, and commits. */
    public static void ensure(Connection c, String schema) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("select pg_advisory_xact_lock(" + LOCK_SPACE + ", " + lockKey(schema, "bootstrap") + ")");
            st.execute("create schema if not exists " + schema);
            st.execute("create sequence if not exists " + schema + ".fencing_tokens");
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
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
