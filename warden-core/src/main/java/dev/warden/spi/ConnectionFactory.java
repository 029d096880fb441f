package dev.warden.spi;

import java.sql.Connection;
import java.sql.SQLException;

/** Opens a new connection outside the pool, for a lock that must own its session. */
@FunctionalInterface
public interface ConnectionFactory {
    Connection open() throws SQLException;
}
