package dev.warden.internal.init;

import dev.warden.spi.ConnectionFactory;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The one session a waiting process polls through: opened once, kept between polls, replaced only
 * after it failed. Many replicas waiting for one initialiser then hold one session each instead of
 * opening a new one every poll (which is how waiters ran a server out of connections, 53300).
 */
final class KeptSession implements AutoCloseable {

    /** Work on the kept session (auto-commit on). */
    interface SqlWork<T> {
        T apply(Connection c) throws SQLException;
    }

    private final ConnectionFactory connections;
    private Connection session; // guarded by this

    KeptSession(ConnectionFactory connections) {
        this.connections = connections;
    }

    /** Runs {@code work} on the kept session, opening it first if needed; a failure drops the session. */
    synchronized <T> T call(SqlWork<T> work) throws SQLException {
        if (session == null || session.isClosed()) {
            session = connections.open();
            session.setAutoCommit(true);
        }
        try {
            return work.apply(session);
        } catch (SQLException | RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (session != null) {
            try {
                session.close();
            } catch (SQLException ignored) {
                // unusable either way
            }
            session = null;
        }
    }
}
