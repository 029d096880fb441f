package dev.warden.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Makes COMMIT slow for chosen rows of a table, so that a fault (a cut connection, a blackhole, a
 * stopped server) can land while the server commits: a deferred constraint trigger that sleeps at
 * commit time for each inserted row that matches a condition.
 */
public final class SlowCommit {

    private SlowCommit() {
    }

    /**
     * The statements (idempotent) that make COMMIT sleep {@code seconds} for each row inserted into
     * {@code table} that matches {@code when}, an SQL condition on {@code new} such as
     * {@code "new.note = 'slow'"} ({@code "true"} for every row).
     */
    public static String[] on(String table, String when, double seconds) {
        String function = table + "_slow_commit_sleep";
        String trigger = table + "_slow_commit";
        return new String[] {
            "create or replace function " + function + "() returns trigger language plpgsql as $$ begin if " + when
                    + " then perform pg_sleep(" + seconds + "); end if; return null; end $$",
            "drop trigger if exists " + trigger + " on " + table,
            "create constraint trigger " + trigger + " after insert on " + table
                    + " deferrable initially deferred for each row execute function " + function + "()"};
    }

    /** Runs {@link #on(String, String, double)} on {@code c}. */
    public static void install(Connection c, String table, String when, double seconds) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String sql : on(table, when, seconds)) {
                st.execute(sql);
            }
        }
    }
}
