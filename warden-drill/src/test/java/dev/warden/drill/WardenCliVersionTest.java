package dev.warden.drill;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class WardenCliVersionTest {

    @Test
    void versionIsTheBuildsVersionNotAPlaceholder() {
        String[] version = new CommandLine(new WardenCli()).getCommandSpec().version();
        assertThat(version).singleElement().asString().matches("warden \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    }
}
