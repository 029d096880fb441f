package dev.warden.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Smoke test of the paired JPA measurement: a few tiny rounds, the shape of the figures. */
class SpringJpaManagerPairedTest {

    @Test
    void wardenJpaManagerGetsARatioAgainstSpringsOwn() {
        List<PairedRoundTrip.Figures> figures = SpringJpaManagerPaired.run(4, 5, 1);
        assertThat(figures).extracting(PairedRoundTrip.Figures::variant)
                .containsExactly("jpaTxManager", "wardenJpaTxManager", "jpaTxManagerOnWardenDs");
        assertThat(figures.get(0).ratios().median()).isEqualTo(1.0);
        assertThat(figures.get(1).medianUs()).isPositive();
        assertThat(SpringJpaManagerPaired.table(figures, 4, 5)).contains("wardenJpaTxManager").contains("jpaTxManager");
    }
}
