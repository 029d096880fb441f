package dev.warden.drill;

import dev.warden.testing.ThrowawayDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The server processes behind a client's connections, found by application name. */
public final class Backends {

    private Backends() {
    }

    /** Process ids of the backends whose {@code application_name} is {@code app}, lowest first. */
    public static List<Long> of(ThrowawayDatabase db, String app) throws SQLException {
        List<Long> pids = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", ""); var ps = c.prepareStatement(
                "select pid from pg_stat_activity where application_name = ? order by pid")) {
            ps.setString(1, app);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pids.add(rs.getLong(1));
                }
            }
        }
        return pids;
    }
}
