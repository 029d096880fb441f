package dev.warden.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark once, briefly, in this JVM: proves they still work (set-up, the work, the
 * tear-down) so they cannot rot. Measures nothing; the figures come from {@code bench/run}.
 */
class BenchmarkSmokeTest {

    @BeforeAll
    static void ignoreOtherJmhRuns() {
        // JMH takes a machine-wide lock (/tmp/jmh.lock); a benchmark run by hand beside the build must not
        // fail this smoke test, which measures nothing.
        System.setProperty("jmh.ignoreLock", "true");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TxOverheadStub", "TxRoundTripPg", "RetryPath"})
    void everyVariantRunsAndProducesAScore(String benchmark) throws RunnerException {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include("^dev\\.warden\\.bench\\." + benchmark + "\\.")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(200))
                .timeUnit(TimeUnit.MICROSECONDS)
                .shouldFailOnError(true)
                .build()).run();
        assertThat(results).isNotEmpty();
        assertThat(results).allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive());
        assertThat(results.stream().map(r -> r.getParams().getBenchmark()))
                .anyMatch(name -> name.endsWith(".handWritten"))
                .anyMatch(name -> name.endsWith(".warden"));
    }
}
