package dev.warden.drill.tx;

import dev.warden.drill.WardenCli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.testing.ThrowawayDatabase;
import dev.warden.tx.TxStats;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The transaction drill on a real embedded PostgreSQL: backends killed, code failing mid-transfer, conflicts. */
class TxDrillTest {

    private static ThrowawayDatabase db;

    @BeforeAll
    static void startDatabase() {
        db = ThrowawayDatabase.start("warden-tx-drill-test", Map.of());
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    private static TxDrill drill(String... args) {
        TxDrill d = new TxDrill();
        new CommandLine(d).parseArgs(args);
        return d;
    }

    @Test
    void underKillsConflictsAndFailingCodeNoTransferHalfCommitsIsLostOrAppliedTwice() throws Exception {
        TxDrill d = drill("--seconds", "5", "--threads", "6", "--accounts", "6", "--kill-every-ms", "100",
                "--fail-rate", "0.1", "--db-url", db.jdbcUrl());
        Map<String, Object> f = d.execute();

        assertThat(f.get("ok")).as("figures %s", f).isEqualTo(true);
        assertThat((long) f.get("committed")).isPositive();
        assertThat((long) f.get("injected_failures")).isPositive();
        assertThat((long) f.get("backend_kills")).isPositive();
        assertThat((long) f.get("retries")).isPositive();
        assertThat(f).containsEntry("lost_commits", 0L).containsEntry("half_commits", 0L)
                .containsEntry("double_commits", 0L).containsEntry("balance_drift", 0L)
                .containsEntry("ledger_mismatched_accounts", 0L).containsEntry("unclassified_errors", 0);
        assertThat((int) f.get("transfers")).isEqualTo(
                (int) ((long) f.get("committed") + (long) f.get("failed") + (long) f.get("injected_failures")
                        + (long) f.get("commit_unknown")));
    }

    @Test
    void withVerifyCommitNoCallerIsToldTheOutcomeIsUnknownAndEveryResolvedOutcomeMatchesTheLedger() throws Exception {
        TxDrill d = drill("--seconds", "4", "--threads", "6", "--accounts", "6", "--kill-every-ms", "50",
                "--fail-rate", "0.05", "--verify-commit", "--db-url", db.jdbcUrl());
        Map<String, Object> f = d.execute();
        assertThat(f.get("ok")).as("figures %s", f).isEqualTo(true);
        assertThat(f).containsEntry("commit_unknown", 0L).containsEntry("lost_commits", 0L)
                .containsEntry("half_commits", 0L).containsEntry("double_commits", 0L)
                .containsEntry("balance_drift", 0L).containsEntry("verify_commit", true);
        assertThat((long) f.get("backend_kills")).isPositive();
    }

    @Test
    void theCheckSeesATransferThatWasOnlyHalfApplied() throws Exception {
        TxDrill d = drill("--seconds", "1", "--threads", "2", "--kill-every-ms", "0", "--fail-rate", "0",
                "--db-url", db.jdbcUrl());
        assertThat(d.execute().get("ok")).isEqualTo(true);

        // what a half-commit leaves behind: a debit without its credit and without its ledger row
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", ""); Statement st = c.createStatement()) {
            st.execute("update warden_drill_account set balance = balance - 7 where id = 1");
        }
        Map<String, Object> f = d.verify(db.jdbcUrl(), "postgres", "", new TxStats.Snapshot(0, 0, 0, 0, Map.of(), 0));
        assertThat(f).containsEntry("balance_drift", -7L).containsEntry("ledger_mismatched_accounts", 1L)
                .containsEntry("ok", false);
    }

    @Test
    void badOptionsAreRefusedWithTheRule() {
        CommandLine cli = new CommandLine(new WardenCli());
        var err = new java.io.StringWriter();
        cli.setErr(new java.io.PrintWriter(err));
        int code = cli.execute("drill", "tx", "--fail-rate", "2", "--db-url", db.jdbcUrl());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--fail-rate from 0 to 1");
    }
}
