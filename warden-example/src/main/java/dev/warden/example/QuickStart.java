package dev.warden.example;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.tx.Isolation;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * The quick start: starts Warden (on the embedded PostgreSQL unless {@code WARDEN_DB_URL} is set),
 * runs a transaction that counts this run in a table, and prints the health report. Run it twice:
 * the count goes on, because the embedded data persists under {@code ./.warden/}.
 */
public final class QuickStart {

    private QuickStart() {
    }

    public static void main(String[] args) throws Exception {
        WardenConfig config = WardenConfig.fromEnvironment();
        System.out.println("Configuration: " + config);
        try (Warden warden = Warden.create(config).start()) {
            warden.useTransaction(tx -> {
                try (Statement st = tx.connection().createStatement()) {
                    st.execute("create table if not exists quickstart_run (id bigserial primary key,"
                            + " at timestamptz not null default now())");
                }
            });
            long runs = warden.transaction()
                    .isolation(Isolation.SERIALIZABLE)
                    .label("count-run")
                    .call(tx -> {
                        try (PreparedStatement insert = tx.connection().prepareStatement(
                                "insert into quickstart_run default values")) {
                            insert.executeUpdate();
                        }
                        try (PreparedStatement count = tx.connection().prepareStatement(
                                "select count(*) from quickstart_run"); ResultSet rs = count.executeQuery()) {
                            rs.next();
                            return rs.getLong(1);
                        }
                    });
            System.out.println("Committed one transaction: this is run number " + runs + " on this database.");
            ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
                    .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                    .enable(SerializationFeature.INDENT_OUTPUT);
            System.out.println("Health report:");
            System.out.println(json.writeValueAsString(warden.health()));
        }
    }
}
