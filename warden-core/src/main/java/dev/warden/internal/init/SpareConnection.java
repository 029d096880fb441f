package dev.warden.internal.init;

import dev.warden.spi.ConnectionFactory;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * One auto-commit session an init lock keeps between failed tries, so that a process waiting for
 * the lock does not open a new session on every try.
 */
final class SpareConnection implements AutoCloseable {

    private final ConnectionFactory connections;
    private Connection spare; // guarded by this

    SpareConnection(ConnectionFactory connections) {
        this.connections = connections;
    }

    /** The kept session if it is still open, else a new one (auto-commit on). */
    synchronized Connection take() throws SQLException {
        Connection c = spare;
        spare = null;
        if (c != null && !c.isClosed()) {
            return c;
        }
        c = connections.open();
        c.setAutoCommit(true);
        return c;
    }

    /** Keeps {@code c} for the next try, or closes it when one is kept already. */
    synchronized void keep(Connection c) throws SQLException {
        if (spare == null) {
            spare = c;
        } else {
            c.close();
        }
    }

    @Override
    public synchronized void close() {
        if (spare != null) {
            try {
                spare.close();
            } catch (SQLException ignored) {
                // unusable either way
            }
            spare = null;
        }
    }
}
