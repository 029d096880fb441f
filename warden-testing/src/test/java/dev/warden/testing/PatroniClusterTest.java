package dev.warden.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class PatroniClusterTest {

    /** Skips where Patroni or etcd is missing, except under CI=true, where that is a failure. */
    static void requirePatroni() {
        Optional<String> why = PatroniCluster.unavailable();
        if ("true".equals(System.getenv("CI"))) {
            assertThat(why).as("Patroni prerequisites under CI").isEmpty();
        }
        assumeThat(why).as("Patroni prerequisites").isEmpty();
    }

    @Test
    @Timeout(180)
    void switchoverMovesThePrimaryAndCloseEndsEveryProcess() throws Exception {
        requirePatroni();
        Path dir;
        List<Long> postmasters = new ArrayList<>();
        try (PatroniCluster cluster = PatroniCluster.start(2, PatroniCluster.Timings.FAST)) {
            dir = cluster.directory();
            PatroniCluster.Member first = cluster.leader().orElseThrow();
            try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), cluster.user(), "");
                 Statement st = c.createStatement()) {
                st.execute("create table t(v int)");
                st.execute("insert into t values (1)");
            }
            PatroniCluster.Member second = cluster.switchover();
            assertThat(second).isNotEqualTo(first);
            try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), cluster.user(), "");
                 Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                         "select (select count(*) from t), inet_server_port(), pg_is_in_recovery()")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(1);
                assertThat(rs.getInt(2)).isEqualTo(second.pgPort());
                assertThat(rs.getBoolean(3)).isFalse();
            }
            for (PatroniCluster.Member m : cluster.members()) {
                Path pid = m.dataDir().resolve("postmaster.pid");
                if (Files.exists(pid)) {
                    postmasters.add(Long.parseLong(Files.readAllLines(pid).get(0).strip()));
                }
            }
        }
        assertThat(postmasters).isNotEmpty();
        for (long pid : postmasters) {
            assertThat(PatroniMember.running(pid)).as("postmaster %d", pid).isFalse();
        }
        assertThat(dir).doesNotExist();
    }
}
