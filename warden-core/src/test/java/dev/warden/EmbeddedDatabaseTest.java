package dev.warden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The persistent embedded server: durable, loopback only, password-protected, and old directories upgraded. */
class EmbeddedDatabaseTest {

    private static Connection connect(EmbeddedDatabase db, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", EmbeddedDatabase.USER);
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(db.jdbcUrl(), p);
    }

    private static String show(Statement st, String setting) throws SQLException {
        try (ResultSet rs = st.executeQuery("show " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void persistentServerIsDurableLoopbackOnlyAndNeedsItsPassword(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("pgdata");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
            Path file = data.resolve(EmbeddedDatabase.PASSWORD_FILE);
            assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            String password = Files.readString(file).strip();
            assertThat(password).hasSizeGreaterThanOrEqualTo(32).isEqualTo(db.password().reveal());
            assertThat(Files.readString(data.resolve("pg_hba.conf"))).doesNotContainPattern("(?m)^[^#]*\\btrust\\b");
            assertThat(Files.list(dir).map(p -> p.getFileName().toString()).toList())
                    .containsExactly("pgdata"); // the password handed to initdb is gone
            assertThatThrownBy(() -> connect(db, null).close()).isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> connect(db, "wrong").close()).isInstanceOf(SQLException.class)
                    .hasMessageContaining("password authentication failed");
            try (Connection c = connect(db, password); Statement st = c.createStatement()) {
                assertThat(show(st, "fsync")).isEqualTo("on");
                assertThat(show(st, "synchronous_commit")).isEqualTo("on");
                assertThat(show(st, "listen_addresses")).isEqualTo("127.0.0.1");
                assertThat(show(st, "unix_socket_directories")).isEmpty();
            }
        }
        // Without its password file it refuses to start, at once and saying why.
        Files.move(data.resolve(EmbeddedDatabase.PASSWORD_FILE), dir.resolve("moved-away"));
        assertThatThrownBy(() -> EmbeddedDatabase.start(data, 0)).isInstanceOf(dev.warden.WardenException.class)
                .hasMessageContaining("password file").hasMessageContaining("is missing");
    }

    @Test
    void acknowledgedCommitSurvivesSigkillOfTheServer(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("pgdata");
        EmbeddedDatabase db = EmbeddedDatabase.start(data, 0);
        String password = db.password().reveal();
        try (Connection c = connect(db, password); Statement st = c.createStatement()) {
            st.execute("create table acked (id int primary key)");
            // Every process of the server, found before the kill: the postmaster and its children
            // (checkpointer, WAL writer, backends) die at the same moment, as on a host crash, so
            // nothing still in memory can be written out after the commit was acknowledged.
            ProcessHandle postmaster = ProcessHandle.of(db.postmasterPid()).orElseThrow();
            List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
            all.add(0, postmaster);
            st.executeUpdate("insert into acked values (42)"); // auto-commit: returns once COMMIT is acknowledged
            all.forEach(ProcessHandle::destroyForcibly); // SIGKILL
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> !ProcessHandle.of(db.postmasterPid()).map(ProcessHandle::isAlive)
                .orElse(false));
        db.close(); // its pg_ctl stop finds no server; this releases the directory's lock
        try (EmbeddedDatabase again = EmbeddedDatabase.start(data, 0);
             Connection c = connect(again, password); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from acked where id = 42")) {
            rs.next();
            assertThat(rs.getInt(1)).as("the row whose commit was acknowledged before SIGKILL").isEqualTo(1);
        }
    }

    @Test
    void directoryMadeWithTrustAuthenticationIsUpgradedInPlace(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("pgdata");
        // What earlier versions made: trust authentication, no password.
        try (var old = dev.warden.testing.ThrowawayDatabase.startOn(data, 0, Map.of());
             Connection c = old.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("create table kept (v text)");
            st.execute("insert into kept values ('from before the upgrade')");
        }
        assertThat(Files.readString(data.resolve("pg_hba.conf"))).containsPattern("(?m)^[^#]*\\btrust\\b");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
            Path file = data.resolve(EmbeddedDatabase.PASSWORD_FILE);
            assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.readString(data.resolve("pg_hba.conf"))).doesNotContainPattern("(?m)^[^#]*\\btrust\\b");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThatThrownBy(() -> connect(db, null).close()).isInstanceOf(SQLException.class));
        }
        try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0);
             Connection c = connect(db, db.password().reveal()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select v from kept")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("from before the upgrade");
            assertThatThrownBy(() -> connect(db, null).close()).isInstanceOf(SQLException.class);
        }
    }

    @Test
    void aStalePostmasterPidIsRemovedAndADirectoryInUseIsRefusedSayingSo(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("pgdata");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0)) {
            // This JVM holds the directory: a second server on it is refused, naming why, and the first keeps running.
            assertThatThrownBy(() -> EmbeddedDatabase.start(data, 0)).isInstanceOf(dev.warden.WardenException.class)
                    .hasMessageContaining("in use by another running process");
            try (Connection c = connect(db, db.password().reveal())) {
                assertThat(c.isValid(5)).isTrue();
            }
        }
        // A postmaster.pid whose process is gone (a server killed with SIGKILL, then its pid freed).
        Process gone = new ProcessBuilder("true").start();
        assertThat(gone.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        Files.writeString(data.resolve("postmaster.pid"), gone.pid() + "\n" + data + "\n1700000000\n5432\n\n127.0.0.1\n");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0); Connection c = connect(db, db.password().reveal())) {
            assertThat(c.isValid(5)).isTrue();
        }
        // A postmaster.pid whose pid now belongs to another program (this JVM): PostgreSQL alone would refuse to start.
        Files.writeString(data.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n" + data
                + "\n1700000000\n5432\n\n127.0.0.1\n");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0); Connection c = connect(db, db.password().reveal())) {
            assertThat(c.isValid(5)).isTrue();
        }
        assertThat(data.resolve("postmaster.pid")).doesNotExist(); // the server stopped cleanly
    }
}
