package dev.warden;

import java.time.Duration;
import java.util.Objects;

/**
 * The connection pool.
 *
 * @param maxSize        most connections in the pool ({@code WARDEN_POOL_MAX_SIZE})
 * @param acquireTimeout longest wait for a pooled connection ({@code WARDEN_POOL_ACQUIRE_TIMEOUT})
 * @param readOnly       the pool only reads (e.g. from a standby): a read-only server is READY
 *                       ({@code WARDEN_POOL_READ_ONLY}); see also {@link WardenConfig#readsOnly()}
 * @param refillSpread   after a recovery, the time over which the pool returns to its size, each
 *                       connection at a random moment within it ({@code WARDEN_POOL_REFILL_SPREAD}); 0: at once
 * @param pooler         what stands between the pool and the server ({@code WARDEN_POOLER}): none, a
 *                       session-mode or a transaction-mode pooler; see {@link Pooler} and docs/poolers.md
 */
public record PoolSettings(int maxSize, Duration acquireTimeout, boolean readOnly, Duration refillSpread, Pooler pooler) {
    public PoolSettings {
        Objects.requireNonNull(acquireTimeout, "acquireTimeout");
        Objects.requireNonNull(refillSpread, "refillSpread");
        Objects.requireNonNull(pooler, "pooler");
    }
}
