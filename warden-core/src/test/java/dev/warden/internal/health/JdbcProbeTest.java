package dev.warden.internal.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.ProbeOutcome;
import dev.warden.testing.Fault;
import dev.warden.testing.FaultProxy;
import dev.warden.testing.SharedPostgres;
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
        proxy = FaultProxy.start(SharedPostgres.get().port());
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
        // A generous timeout: a new connection is tried once a quarter of it passes unanswered, which a
        // busy machine can make happen within 100 ms.
        Duration generous = Duration.ofSeconds(8);
        assertThat(probe.probe(generous).outcome()).isIn(ProbeOutcome.ANSWERED, ProbeOutcome.SLOW);
        assertThat(probe.probe(generous).outcome()).isIn(ProbeOutcome.ANSWERED, ProbeOutcome.SLOW);
        assertThat(proxy.accepted()).as("no new connection per probe").isEqualTo(1);
    }

    @Test
    void aSilentServerBehindAProxyThatCompletesHandshakesIsStalledNotSilent() {
        assertThat(probe.probe(TIMEOUT).outcome()).isEqualTo(ProbeOutcome.ANSWERED);
        proxy.set(Fault.BLACKHOLE);
        long t0 = System.nanoTime();
        ProbeFinding f = probe.probe(TIMEOUT);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        // The proxy's kernel completes the TCP handshake: the evidence says "alive", and Warden
        // cannot see past it (a gone network is KernelBlackholeTest, with SYNs dropped for real).
        assertThat(f.outcome()).as("finding %s", f).isEqualTo(ProbeOutcome.STALLED);
        assertThat(f.detail()).contains("completed a TCP handshake");
        assertThat(proxy.accepted()).as("a new connection and a handshake were tried in parallel")
                .isGreaterThanOrEqualTo(2);
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
    void aClosedPortIsRefusedNotSilent() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("connectTimeout", "5");
        try (JdbcProbe closed = new JdbcProbe("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p)) {
            assertThat(closed.probe(TIMEOUT).outcome()).isEqualTo(ProbeOutcome.REFUSED);
        }
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
