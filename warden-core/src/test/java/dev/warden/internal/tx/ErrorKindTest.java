package dev.warden.internal.tx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.CommitOutcomeUnknownException;
import dev.warden.ErrorKind;
import dev.warden.WardenException;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The classification table of DESIGN.md, state by state; the real server's errors are in FailureClassificationTest. */
class ErrorKindTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "08000, CONNECTION", "08003, CONNECTION", "08006, CONNECTION", "08001, CONNECTION",
            "57P01, CONNECTION", "57P02, CONNECTION", "57P03, CONNECTION", "57P04, CONNECTION", "57P05, CONNECTION",
            "25P03, CONNECTION", "53300, CONNECTION", "25006, CONNECTION",
            "40001, SERIALIZATION", "40P01, DEADLOCK",
            "57014, TIMEOUT", "55P03, TIMEOUT",
            "23505, CONSTRAINT", "23503, CONSTRAINT", "23502, CONSTRAINT", "23514, CONSTRAINT",
            "22001, DATA", "22P02, DATA", "42601, DATA", "42P01, DATA",
            "25P02, UNKNOWN", "53200, UNKNOWN", "XX000, UNKNOWN"})
    void sqlStatesMapToKinds(String state, ErrorKind kind) {
        assertThat(ErrorKind.of(new SQLException("x", state))).isEqualTo(kind);
    }

    @Test
    void tooManyConnectionsAndCannotConnectNowMeanTheServerIsThereButRefusesNewConnections() {
        assertThat(ErrorKind.refusesNewConnections(new SQLException("too many clients", "53300"))).isTrue();
        assertThat(ErrorKind.refusesNewConnections(
                new RuntimeException("pool", new SQLException("the database system is starting up", "57P03")))).isTrue();
        assertThat(ErrorKind.refusesNewConnections(new SQLException("terminated", "57P01"))).isFalse();
        assertThat(ErrorKind.refusesNewConnections(new SQLException("refused", "08001"))).isFalse();
    }

    @Test
    void aReadOnlyServerIsFlaggedAlongTheCauseChain() {
        assertThat(ErrorKind.readOnlyServer(new RuntimeException(new SQLException("read-only", "25006")))).isTrue();
        assertThat(ErrorKind.readOnlyServer(new SQLException("x", "25P02"))).isFalse();
    }

    @Test
    void hikarisClosedConnectionWithoutSqlStateIsAConnectionFailure() {
        assertThat(ErrorKind.of(new SQLException("Connection is closed"))).isEqualTo(ErrorKind.CONNECTION);
        assertThat(ErrorKind.of(new SQLException("Statement is closed"))).isEqualTo(ErrorKind.UNKNOWN);
    }

    @Test
    void flagsEndOnCauseCycles() {
        Exception a = new Exception("a");
        Exception b = new Exception("b", a);
        a.initCause(b);
        assertThat(ErrorKind.readOnlyServer(a)).isFalse();
        assertThat(CommitOutcomeUnknownException.within(a)).isFalse();
    }

    @Test
    void onlyTransientKindsAreRetryable() {
        assertThat(ErrorKind.values()).filteredOn(ErrorKind::isRetryable)
                .containsExactlyInAnyOrder(ErrorKind.CONNECTION, ErrorKind.SERIALIZATION, ErrorKind.DEADLOCK);
    }

    @Test
    void theFirstSqlStateAlongTheCauseChainDecides() {
        RuntimeException wrapped = new RuntimeException("library wrapper",
                new SQLException("outer without state", null, new SQLException("inner", "40001")));
        assertThat(ErrorKind.of(wrapped)).isEqualTo(ErrorKind.SERIALIZATION);
    }

    @Test
    void driverIoErrorsAreConnectionFailuresButTheApplicationsOwnAreNot() {
        assertThat(ErrorKind.of(new SQLException("io", null, new EOFException()))).isEqualTo(ErrorKind.CONNECTION);
        assertThat(ErrorKind.of(new SQLException("io", null, new SocketTimeoutException()))).isEqualTo(ErrorKind.CONNECTION);
        assertThat(ErrorKind.of(new SQLTransientConnectionException("pool timed out"))).isEqualTo(ErrorKind.CONNECTION);
        assertThat(ErrorKind.of(new IOException("file not found"))).isEqualTo(ErrorKind.UNKNOWN);
        assertThat(ErrorKind.of(new IllegalStateException("bug"))).isEqualTo(ErrorKind.UNKNOWN);
    }

    @Test
    void wardenExceptionsKeepTheirKindAndCyclesEnd() {
        assertThat(ErrorKind.of(new WardenException("x", ErrorKind.DEADLOCK, null))).isEqualTo(ErrorKind.DEADLOCK);
        Exception a = new Exception("a");
        Exception b = new Exception("b", a);
        a.initCause(b);
        assertThat(ErrorKind.of(a)).isEqualTo(ErrorKind.UNKNOWN);
    }
}
