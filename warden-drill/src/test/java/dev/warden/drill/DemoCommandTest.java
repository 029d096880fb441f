package dev.warden.drill;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * {@code warden demo} end to end: embedded PostgreSQL, three replica JVMs, all ready, exactly one of
 * them ran the initialisation, and everything stops by itself ({@code --exit-when-ready}). Run twice
 * on the same data directory: the second run finds the database initialised and nobody re-runs it.
 */
class DemoCommandTest {

    @Test
    @Timeout(300)
    void demoStartsThreeReplicasOneInitialisesAndAllStop() throws Exception {
        Path data = Files.createTempDirectory("warden-demo").resolve("pgdata");

        String first = runDemo(data);
        assertThat(first).contains("replica-1  http://127.0.0.1:", "replica-3  http://127.0.0.1:")
                .contains("admin / admin-password (admin)", "alice / alice-password")
                .contains("All 3 replicas ready; 1 of them ran the initialisation.");
        assertThat(count(first, "<- initialised the database")).isEqualTo(1);

        String second = runDemo(data);
        assertThat(second).contains("All 3 replicas ready; 0 of them ran the initialisation.");
        assertThat(Files.readString(data.getParent().resolve("logs").resolve("replica-1.log")))
                .contains("Warden READY -> STOPPING");
    }

    private static String runDemo(Path data) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new WardenCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("demo", "--replicas", "3", "--base-port", "0", "--data-dir", data.toString(),
                "--exit-when-ready");
        assertThat(code).as("exit code; out:\n%s\nerr:\n%s", out, err).isZero();
        return out.toString();
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
