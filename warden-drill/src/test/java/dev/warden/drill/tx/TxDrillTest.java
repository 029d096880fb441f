package dev.warden.drill.tx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.drill.JsonOutput;
import dev.warden.drill.WardenCli;
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
        TxFigures f = d.execute();

        assertThat(f.ok()).as("figures %s", f).isTrue();
        assertThat(f.told().committed()).isPositive();
        assertThat(f.told().injectedFailures()).isPositive();
        assertThat(f.engine().backendKills()).isPositive();
        assertThat(f.engine().retries()).isPositive();
        assertThat(f.check()).isEqualTo(new TxFigures.Check(0, 0, 0, 0, 0, 0));
        assertThat(f.unclassified().errors()).isZero();
        assertThat(f.told().transfers()).isEqualTo(
                (int) (f.told().committed() + f.told().failed() + f.told().injectedFailures() + f.unknown().commitUnknown()));
        // --json prints the names the docs and scripts read, in this order
        assertThat(JsonOutput.fields(f).keySet()).containsExactly("seconds", "threads", "accounts", "isolation",
                "kill_every_ms", "fail_rate", "transfers", "committed", "failed", "failed_by_kind", "failed_examples",
                "injected_failures", "commit_unknown", "commit_unknown_applied", "verify_commit", "commit_resolved",
                "retries", "backend_kills", "server_deadlocks", "committed_ms_p50", "committed_ms_p99", "lost_commits",
                "half_commits", "double_commits", "unknown_transfer_rows", "balance_drift", "ledger_mismatched_accounts",
                "unclassified_errors", "ok");
        assertThat(JsonOutput.fields(f)).containsEntry("isolation", "SERIALIZABLE").containsEntry("ok", true);
    }

    @Test
    void withVerifyCommitNoCallerIsToldTheOutcomeIsUnknownAndEveryResolvedOutcomeMatchesTheLedger() throws Exception {
        TxDrill d = drill("--seconds", "4", "--threads", "6", "--accounts", "6", "--kill-every-ms", "50",
                "--fail-rate", "0.05", "--verify-commit", "--db-url", db.jdbcUrl());
        TxFigures f = d.execute();
        assertThat(f.ok()).as("figures %s", f).isTrue();
        assertThat(f.unknown().commitUnknown()).isZero();
        assertThat(f.unknown().verifyCommit()).isTrue();
        assertThat(f.check()).isEqualTo(new TxFigures.Check(0, 0, 0, 0, 0, 0));
        assertThat(f.engine().backendKills()).isPositive();
    }

    @Test
    void theCheckSeesATransferThatWasOnlyHalfApplied() throws Exception {
        TxDrill d = drill("--seconds", "1", "--threads", "2", "--kill-every-ms", "0", "--fail-rate", "0",
                "--db-url", db.jdbcUrl());
        assertThat(d.execute().ok()).isTrue();

        // what a half-commit leaves behind: a debit without its credit and without its ledger row
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), "postgres", ""); Statement st = c.createStatement()) {
            st.execute("update warden_drill_account set balance = balance - 7 where id = 1");
        }
        TxFigures f = d.verify(db.jdbcUrl(), "postgres", "", new TxStats.Snapshot(0, 0, 0, 0, Map.of(), 0));
        assertThat(f.check().balanceDrift()).isEqualTo(-7L);
        assertThat(f.check().ledgerMismatchedAccounts()).isEqualTo(1L);
        assertThat(f.ok()).isFalse();
        assertThat(JsonOutput.exitCode(f)).isEqualTo(1);
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
