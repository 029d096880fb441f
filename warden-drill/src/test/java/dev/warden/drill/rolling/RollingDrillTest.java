package dev.warden.drill.rolling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.drill.WardenCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A rolling restart of real replica JVMs under load: each one drains on SIGTERM, so no request fails
 * (apart from 503 answers while draining), no transaction is cut and no acknowledged write is lost.
 * Two replicas keep it lean (each restart is a JVM start); the drill's default, three, is what
 * {@code ./warden drill rolling --json} runs.
 */
class RollingDrillTest {

    @Test
    void everyReplicaRestartedWithSigtermLosesNoRequestTransactionOrWrite() throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new WardenCli());
        cli.setOut(new PrintWriter(out, true));
        int exit = cli.execute("drill", "rolling", "--json", "--replicas", "2", "--steady-seconds", "1", "--clients", "3");
        JsonNode f = new ObjectMapper().readTree(out.toString());
        assertThat(f.path("restarts").asInt()).as("%s", f).isEqualTo(2);
        assertThat(f.path("acknowledged_writes").asLong()).as("%s", f).isPositive();
        assertThat(f.path("requests").asLong()).isGreaterThanOrEqualTo(f.path("acknowledged_writes").asLong());
        assertThat(f.path("failed_requests").asLong()).as("%s", f).isZero();
        assertThat(f.path("cut_transactions").asLong()).as("%s", f).isZero();
        assertThat(f.path("lost_writes").asLong()).as("%s", f).isZero();
        assertThat(exit).isZero();
        // --json prints the names it always printed, in this order
        List<String> names = new ArrayList<>();
        f.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("replicas", "restarts", "requests", "failed_requests", "cut_transactions",
                "lost_writes", "acknowledged_writes", "answered_503_while_draining", "sigterm_to_exit_ms_max",
                "ready_again_ms_max", "failures_sample", "logs", "targets", "passed");
        assertThat(f.path("passed").asBoolean()).isTrue();
    }
}
