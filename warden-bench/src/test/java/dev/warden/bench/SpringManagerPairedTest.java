package dev.warden.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Smoke test of the paired Spring measurement: a few tiny rounds, the shape of the figures. */
class SpringManagerPairedTest {

    @Test
    void wardenManagerGetsARatioAgainstSpringsOwn() {
        List<PairedRoundTrip.Figures> figures = SpringManagerPaired.run(4, 5, 1);
        assertThat(figures).extracting(PairedRoundTrip.Figures::variant)
                .containsExactly("dataSourceTxManager", "wardenTxManager");
        assertThat(figures.get(0).ratios().median()).isEqualTo(1.0);
        assertThat(figures.get(1).medianUs()).isPositive();
        assertThat(SpringManagerPaired.table(figures, 4, 5)).contains("wardenTxManager").contains("dataSourceTxManager");
    }
}
