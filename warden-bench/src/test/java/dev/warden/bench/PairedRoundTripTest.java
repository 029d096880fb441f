package dev.warden.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Smoke test of the paired measurement: runs a few tiny rounds, checks the shape of the figures. */
class PairedRoundTripTest {

    @Test
    void everyVariantGetsARatioAgainstHandWritten() {
        List<PairedRoundTrip.Figures> figures = PairedRoundTrip.run(4, 5, 1);

        assertThat(figures).extracting(PairedRoundTrip.Figures::variant)
                .containsExactly("handWritten", "warden", "wardenMonitorOff", "wardenVerifyCommit", "springTemplate", "jdbi");
        assertThat(figures.get(0).ratios().median()).isEqualTo(1.0);
        assertThat(figures).allSatisfy(f -> {
            assertThat(f.medianUs()).isPositive();
            assertThat(f.ratios().p5()).isPositive().isLessThanOrEqualTo(f.ratios().median());
            assertThat(f.ratios().p95()).isGreaterThanOrEqualTo(f.ratios().median());
        });
        assertThat(PairedRoundTrip.table(figures, 4, 5)).contains("warden").contains("ratio median");
        assertThat(PairedRoundTrip.json(figures, 4, 5)).startsWith("{\"benchmark\":\"TxRoundTripPg.paired\"")
                .contains("\"variant\":\"jdbi\"");
    }

    @Test
    void quantileInterpolates() {
        double[] sorted = {1, 2, 3, 4};
        assertThat(PairedRoundTrip.quantile(sorted, 0.5)).isEqualTo(2.5);
        assertThat(PairedRoundTrip.quantile(sorted, 0)).isEqualTo(1);
        assertThat(PairedRoundTrip.quantile(sorted, 1)).isEqualTo(4);
    }

    @Test
    void badOptionsAreNamed() {
        assertThatThrownBy(() -> PairedRoundTrip.main(new String[] {"--rounds", "x"}))
                .hasMessageContaining("--rounds must be an integer, got \"x\"");
        assertThatThrownBy(() -> PairedRoundTrip.main(new String[] {"--block-size", "0"}))
                .hasMessageContaining("--block-size must be at least 1");
        assertThatThrownBy(() -> PairedRoundTrip.main(new String[] {"--fast"}))
                .hasMessageContaining("unknown option --fast");
    }
}
