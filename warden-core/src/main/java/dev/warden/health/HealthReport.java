package dev.warden.health;

import dev.warden.lifecycle.State;
import dev.warden.tx.TxStats;
import java.time.Instant;

/**
 * What is true of a Warden right now, safe to show anyone: it holds no password and no credentials
 * from the URL.
 *
 * @param state        the lifecycle state
 * @param since        when it entered that state
 * @param database     where it connects
 * @param pool         connection pool figures, all zero before start
 * @param transactions transaction outcomes since start
 */
public record HealthReport(State state, Instant since, Database database, Pool pool, TxStats.Snapshot transactions) {

    /**
     * @param url      JDBC URL with credentials masked
     * @param user     database user
     * @param embedded true when Warden runs the embedded PostgreSQL
     * @param server   server version, once known
     */
    public record Database(String url, String user, boolean embedded, String server) {
    }

    /**
     * @param active  connections in use
     * @param idle    connections ready
     * @param waiting threads waiting for a connection
     * @param total   connections open
     * @param max     pool size limit
     */
    public record Pool(int active, int idle, int waiting, int total, int max) {
    }
}
