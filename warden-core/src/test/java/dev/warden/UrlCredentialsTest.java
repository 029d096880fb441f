package dev.warden;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** User and password only in WARDEN_DB_URL, against a server that checks passwords (scram). */
class UrlCredentialsTest {

    @Test
    void urlUserAndPasswordAreUsedForEveryConnectionAndReported(@TempDir Path dir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("pgdata"), 0)) {
            Properties su = new Properties();
            su.setProperty("user", db.user());
            su.setProperty("password", db.password().reveal());
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), su); Statement st = c.createStatement()) {
                st.execute("create role shop_app login password 'Sh0p;pass@word'");
                st.execute("grant create on database postgres to shop_app"); // for Warden's own schema
            }
            // No WARDEN_DB_USER or WARDEN_DB_PASSWORD: only the URL knows who to be. ';' and '@' are percent-encoded.
            WardenConfig config = WardenConfig.builder().environment(Map.of(
                    "WARDEN_DB_URL", db.jdbcUrl() + "?user=shop_app&password=Sh0p%3Bpass%40word",
                    "WARDEN_SCHEMAS", "shop",
                    "WARDEN_MIGRATIONS", "classpath:db/inittest")).build();
            try (Warden warden = Warden.create(config).start()) {
                String who = warden.inTransaction(tx -> {
                    try (Statement st = tx.connection().createStatement();
                         ResultSet rs = st.executeQuery("select current_user")) {
                        rs.next();
                        return rs.getString(1);
                    }
                });
                assertThat(who).isEqualTo("shop_app");
                assertThat(warden.user()).isEqualTo("shop_app");
                assertThat(warden.health().database().user()).isEqualTo("shop_app");
                assertThat(warden.health().database().url()).doesNotContain("Sh0p").doesNotContain("password");
                assertThat(warden.initStatus()).isPresent(); // the initialiser connected as shop_app too
            }
        }
    }
}
