package dev.warden.internal.init;

import dev.warden.spi.ConnectionFactory;
import dev.warden.spi.InitLock;
import java.time.Duration;

class LeaseInitLockTest extends InitLockContract {

    private static final Duration TTL = Duration.ofMillis(800);
    private static final Duration HEARTBEAT = Duration.ofMillis(200);

    @Override
    protected InitLock newLock(ConnectionFactory connections, String name) {
        return new LeaseInitLock(connections, schema, name, TTL, HEARTBEAT);
    }

    /** A dead holder stops renewing its lease (and does not release it). */
    @Override
    protected void killHolder(InitLock.Lease lease, String app) {
        ((LeaseInitLock.LeaseImpl) lease).abandon();
    }

    /** Lease TTL plus one heartbeat, with a generous margin for a loaded machine. */
    @Override
    protected Duration takeoverBound() {
        return TTL.plus(HEARTBEAT).plusSeconds(10);
    }
}
