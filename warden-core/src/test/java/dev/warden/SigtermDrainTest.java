package dev.warden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
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
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                SigtermDrainMain.class.getName(), data.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(log).contains("IN_TX")
                    || !child.isAlive());
            assertThat(Files.readString(log)).as("the child reached its transaction").contains("IN_TX");
            child.destroy(); // SIGTERM, with the transaction's pg_sleep(3) still running
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        String output = Files.readString(log);
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
