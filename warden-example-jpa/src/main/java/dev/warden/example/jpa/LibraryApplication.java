package dev.warden.example.jpa;

import dev.warden.spi.Seeder;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** The library on Spring Data JPA and the Warden starter. Its schema is a Flyway migration. */
@SpringBootApplication
public class LibraryApplication {

    public static void main(String[] args) {
        SpringApplication.run(LibraryApplication.class, args);
    }

    /** The first books, loaded once per epoch across all replicas, in the transaction that completes it. */
    @Bean
    Seeder catalogue() {
        return tx -> {
            try (var st = tx.connection().createStatement()) {
                st.execute("insert into book (title, copies) values ('Dune', 2), ('Emma', 1)");
            }
        };
    }
}
