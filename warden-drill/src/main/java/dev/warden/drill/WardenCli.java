package dev.warden.drill;

import dev.warden.drill.failover.FailoverDrill;
import dev.warden.drill.init.InitDrill;
import dev.warden.drill.matrix.MatrixDrill;
import dev.warden.drill.outage.OutageDrill;
import dev.warden.drill.outage.RecoveryDrill;
import dev.warden.drill.overload.OverloadDrill;
import dev.warden.drill.partition.PartitionDrill;
import dev.warden.drill.patroni.PatroniDrill;
import dev.warden.drill.pooler.PgBouncerDrill;
import dev.warden.drill.rolling.RollingDrill;
import dev.warden.drill.tx.TxDrill;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code warden}: the command line. {@code warden demo} runs the auction service as replicas on one
 * embedded PostgreSQL; {@code warden drill …} runs real failures against a real
 * database and prints what happened, as a human summary or one JSON object ({@code --json}).
 */
@Command(name = "warden", mixinStandardHelpOptions = true, versionProvider = WardenCli.Version.class,
        description = "Keeps a service's database layer steady; drills prove it.",
        subcommands = {DemoCommand.class, WardenCli.Drill.class})
public final class WardenCli {

    /** {@code warden drill}: one subcommand per failure drill. */
    @Command(name = "drill", mixinStandardHelpOptions = true,
            description = "Run a failure for real and print the figures.",
            subcommands = {InitDrill.class, TxDrill.class, OutageDrill.class, RecoveryDrill.class,
                    FailoverDrill.class, PartitionDrill.class, RollingDrill.class, OverloadDrill.class,
                    PatroniDrill.class, PgBouncerDrill.class, MatrixDrill.class})
    static final class Drill {
    }

    /** The build's version, written into {@code version.properties} by Maven's resource filtering. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            try (InputStream in = WardenCli.class.getResourceAsStream("version.properties")) {
                Properties p = new Properties();
                p.load(in);
                return new String[] {"warden " + p.getProperty("version")};
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int run(String... args) {
        return new CommandLine(new WardenCli()).execute(args);
    }
}
