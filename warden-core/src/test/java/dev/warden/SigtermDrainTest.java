package dev.warden;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a process that runs Warden on the embedded default, with a transaction in flight: the
 * transaction commits before PostgreSQL stops (the server's exit hook waits for Warden's drain).
 */
class SigtermDrainTest {

    @Test
    void sigtermLetsTheTransactionInFlightCommitBeforeTheEmbeddedServerStops(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("pgdata");
        String output;
        try (ChildJvm child = ChildJvm.builder(SigtermDrainMain.class).args(data.toString()).start()) {
            child.awaitLine("IN_TX", Duration.ofSeconds(120));
            child.signal("TERM"); // with the transaction's pg_sleep(3) still running
            assertThat(child.awaitExit(Duration.ofSeconds(60))).as("the child exited after SIGTERM").isPresent();
            output = child.output();
        }
        assertThat(output).contains("closed after draining 1 transaction");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
            Properties p = new Properties();
            p.setProperty("user", db.user());
            p.setProperty("password", db.password().reveal());
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), p); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select count(*) from drained")) {
                rs.next();
                assertThat(rs.getInt(1)).as("the transaction in flight at SIGTERM committed").isEqualTo(1);
            }
        }
        assertThat(Files.exists(data.resolve("postmaster.pid"))).isFalse();
    }
}
