package dev.warden.spring.boot40;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootVersion;
import org.springframework.core.SpringVersion;

/** This module really runs the starter's tests on the Spring Boot 4.0 line. */
class SpringBootLineTest {

    @Test
    void springBootAndFrameworkAreThe40Line() {
        assertThat(SpringBootVersion.getVersion()).startsWith("4.0.");
        assertThat(SpringVersion.getVersion()).startsWith("7.0.");
    }
}
