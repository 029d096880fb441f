package dev.warden.internal.init;

import dev.warden.spi.ConnectionFactory;
import dev.warden.spi.InitLock;
import dev.warden.testing.SharedPostgres;
import java.time.Duration;

class AdvisoryInitLockTest extends InitLockContract {

    @Override
    protected InitLock newLock(ConnectionFactory connections, String name) {
        return new AdvisoryInitLock(connections, schema, name);
    }

    /** The server ends the holder's session, as it does when the holder's process dies. */
    @Override
    protected void killHolder(InitLock.Lease lease, String app) {
        SharedPostgres.exec("select pg_terminate_backend(pid) from pg_stat_activity where application_name = '" + app + "'");
    }

    @Override
    protected Duration takeoverBound() {
        return Duration.ofSeconds(20); // freed at once by the server; generous for a loaded machine
    }
}
