package dev.warden;

import dev.warden.internal.init.AdvisoryInitLock;
import dev.warden.internal.init.InitSchema;
import dev.warden.internal.init.LeaseInitLock;
import dev.warden.spi.ConnectionFactory;
import dev.warden.spi.InitLock;
import java.time.Duration;
import java.util.List;

/**
 * Warden's two {@link InitLock} implementations, for a builder's {@code initLock(…)} or a tool that
 * checks whether an application's initialisation lock is free. The lock of an application is named
 * after its schemas, as Warden names it.
 */
public final class InitLocks {

    private InitLocks() {
    }

    /**
     * A PostgreSQL session advisory lock on a dedicated connection, released by the server when the
     * holder's session ends. Needs a direct connection (or a session-mode pooler).
     *
     * @param metaSchema the schema of Warden's own tables (e.g. {@code warden})
     * @param schemas    the application's schemas, which name the lock
     */
    public static InitLock advisory(ConnectionFactory connections, String metaSchema, List<String> schemas) {
        return new AdvisoryInitLock(connections, metaSchema, InitSchema.lockName(schemas));
    }

    /**
     * A lease row with a heartbeat, an expiry and a fencing token: portable, and correct behind a
     * transaction-mode pooler where a session lock means nothing.
     *
     * @param ttl       how long a lease lives without a heartbeat
     * @param heartbeat how often the holder renews it (at most half of {@code ttl})
     */
    public static InitLock lease(ConnectionFactory connections, String metaSchema, List<String> schemas,
                                 Duration ttl, Duration heartbeat) {
        return new LeaseInitLock(connections, metaSchema, InitSchema.lockName(schemas), ttl, heartbeat);
    }
}
