package dev.warden.example.spring;

import dev.warden.spi.Seeder;
import java.sql.PreparedStatement;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * Accounts and transfers on the Warden starter: REST over {@code JdbcClient} and
 * {@code @Transactional}, probes and health through Actuator. Everything about the database
 * (migrations once per epoch, readiness, safe transactions) comes from the starter and a datasource URL.
 */
@SpringBootApplication
public class BankApplication {

    public static void main(String[] args) {
        SpringApplication.run(BankApplication.class, args);
    }

    /** Three demo accounts, loaded once per epoch (the bean name is the seed version). */
    @Bean("demo-accounts-1")
    Seeder demoAccounts() {
        return ctx -> {
            try (PreparedStatement ps = ctx.connection().prepareStatement(
                    "insert into account (id, owner, balance) values (?, ?, ?)")) {
                String[] owners = {"ada", "grace", "edsger"};
                for (int i = 0; i < owners.length; i++) {
                    ps.setLong(1, i + 1);
                    ps.setString(2, owners[i]);
                    ps.setLong(3, 1000);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            ctx.progress("seeded 3 demo accounts");
        };
    }
}
