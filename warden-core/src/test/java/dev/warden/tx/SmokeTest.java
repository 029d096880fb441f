package dev.warden.tx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.TestDatabase;
import dev.warden.Warden;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void runsATransactionOnRealPostgres() {
        try (Warden w = Warden.create(TestDatabase.config().build()).start()) {
            int one = w.inTransaction(tx -> {
                try (var st = tx.connection().createStatement(); var rs = st.executeQuery("select 1")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertThat(one).isEqualTo(1);
            assertThat(w.health().transactions().committed()).isEqualTo(1);
        }
    }
}
