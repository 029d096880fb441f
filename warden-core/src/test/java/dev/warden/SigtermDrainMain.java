package dev.warden;

import java.nio.file.Path;
import java.sql.Statement;
import java.util.Map;

/**
 * A child process for {@link SigtermDrainTest}: a Warden on the embedded default in the directory
 * given as argument, with one transaction that is still running when the test sends SIGTERM. The
 * process installs no shutdown hook of its own: what drains is Warden's.
 */
public final class SigtermDrainMain {

    private SigtermDrainMain() {
    }

    public static void main(String[] args) throws Exception {
        Warden warden = Warden.create(WardenConfig.builder().environment(Map.of())
                .embeddedDir(Path.of(args[0])).build()).start();
        warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.execute("create table if not exists drained (id int primary key)");
            }
        });
        Thread.ofPlatform().start(() -> warden.useTransaction(tx -> {
            try (Statement st = tx.connection().createStatement()) {
                st.execute("insert into drained values (1)");
                System.out.println("IN_TX");
                System.out.flush();
                st.execute("select pg_sleep(3)");
            }
        }));
        Thread.sleep(60_000);
    }
}
