package dev.warden.internal.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.ProbeOutcome;
import dev.warden.TestDatabase;
import dev.warden.testing.Fault;
import dev.warden.testing.FaultProxy;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each probe outcome, made for real by the fault proxy in front of a real PostgreSQL. */
class JdbcProbeTest {

    private static final Duration TIMEOUT = Duration.ofMillis(400);

    private FaultProxy proxy;
    private JdbcProbe probe;

    @BeforeEach
    void start() {
        proxy = FaultProxy.start(TestDatabase.get().port());
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "1");
        probe = new JdbcProbe(proxy.jdbcUrl("postgres"), p);
    }

    @AfterEach
    void stop() {
        probe.close();
        proxy.close();
    }

    @Test
    void aHealthyDatabaseIsAnsweredOnOneConnection() {
        assertThat(probe.probe(TIMEOUT).outcome()).isEqualTo(ProbeOutcome.ANSWERED);
        assertThat(probe.probe(TIMEOUT).outcome()).isEqualTo(ProbeOutcome.ANSWERED);
        assertThat(proxy.accepted()).as("no new connection per probe").isEqualTo(1);
    }

    @Test
    void aSilentNetworkIsSilentWithinTheTimeout() {
        assertThat(probe.probe(TIMEOUT).outcome()).isEqualTo(ProbeOutcome.ANSWERED);
        proxy.set(Fault.BLACKHOLE);
        long t0 = System.nanoTime();
        ProbeFinding f = probe.probe(TIMEOUT);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(f.outcome()).isEqualTo(ProbeOutcome.SILENT);
        assertThat(proxy.accepted()).as("a new connection was tried in parallel").isEqualTo(2);
        assertThat(ms).as("one probe, bounded by its timeout (ms)").isLessThan(2_000);
        proxy.set(Fault.PASS);
        assertThat(probe.probe(TIMEOUT).outcome()).isEqualTo(ProbeOutcome.ANSWERED);
    }

    @Test
    void aSilentProbeConnectionWithTheServerAnsweringNewOnesIsSlowNotSilent() {
        assertThat(probe.probe(TIMEOUT).outcome()).isEqualTo(ProbeOutcome.ANSWERED);
        proxy.links().getFirst().set(Fault.BLACKHOLE); // only the probe's own connection
        ProbeFinding f = probe.probe(TIMEOUT);
        assertThat(f.outcome()).as("finding %s", f).isEqualTo(ProbeOutcome.SLOW);
        // The new connection became the probe's.
        assertThat(probe.probe(TIMEOUT).outcome()).isEqualTo(ProbeOutcome.ANSWERED);
    }

    @Test
    void aRefusedConnectionIsRefused() {
        assertThat(probe.probe(TIMEOUT).outcome()).isEqualTo(ProbeOutcome.ANSWERED);
        proxy.set(Fault.RESET);
        ProbeFinding f = probe.probe(TIMEOUT);
        assertThat(f.outcome()).as("finding %s", f).isEqualTo(ProbeOutcome.REFUSED);
        assertThat(f.detail()).isNotBlank();
    }
}
