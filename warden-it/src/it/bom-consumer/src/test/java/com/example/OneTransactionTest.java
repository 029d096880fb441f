package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.warden.Warden;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** A user's first test: Warden from the BOM, the embedded PostgreSQL, one transaction. */
class OneTransactionTest {

    @Test
    void commitsOneTransactionOnTheEmbeddedDatabase() {
        try (Warden warden = Warden.fromEnvironment().start()) {
            long total = warden.inTransaction(tx -> {
                try (Statement st = tx.connection().createStatement()) {
                    st.execute("drop table if exists greeting");
                    st.execute("create table greeting (id int primary key, text varchar(40) not null)");
                    st.execute("insert into greeting values (1, 'hello'), (2, 'world')");
                    try (ResultSet rs = st.executeQuery("select sum(id) from greeting")) {
                        rs.next();
                        return rs.getLong(1);
                    }
                }
            });
            assertEquals(3, total);
            long read = warden.inTransaction(tx -> {
                try (Statement st = tx.connection().createStatement();
                     ResultSet rs = st.executeQuery("select count(*) from greeting")) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
            assertEquals(2, read, "the first transaction committed");
        }
    }
}
