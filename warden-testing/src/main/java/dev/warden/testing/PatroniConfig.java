package dev.warden.testing;

import java.nio.file.Path;

/**
 * What every member of one {@link PatroniCluster} shares, and the Patroni YAML configuration it
 * gives a member: its scope, the etcd to use, the DCS timings, synchronous mode and PostgreSQL's
 * bin directory.
 */
record PatroniConfig(String scope, int etcdPort, PatroniCluster.Timings timings, boolean synchronous, Path binDir) {

    /** The YAML Patroni reads for member {@code m}, its password file at {@code pgpass}. */
    String yaml(PatroniCluster.Member m, Path pgpass) {
        return """
                scope: %s
                name: %s
                log:
                  level: INFO
                restapi:
                  listen: 127.0.0.1:%d
                  connect_address: 127.0.0.1:%d
                etcd3:
                  host: 127.0.0.1:%d
                bootstrap:
                  dcs:
                    ttl: %d
                    loop_wait: %d
                    retry_timeout: %d
                    maximum_lag_on_failover: 1048576
                    synchronous_mode: %s
                    postgresql:
                      use_pg_rewind: false
                      parameters:
                        max_connections: 200
                        fsync: 'off'
                        wal_keep_size: 128MB
                  initdb:
                  - encoding: UTF8
                  - auth: trust
                  pg_hba:
                  - host replication all 127.0.0.1/32 trust
                  - host all all 127.0.0.1/32 trust
                postgresql:
                  listen: 127.0.0.1:%d
                  connect_address: 127.0.0.1:%d
                  data_dir: %s
                  bin_dir: %s
                  pgpass: %s
                  authentication:
                    replication:
                      username: replicator
                      password: replicator
                    superuser:
                      username: postgres
                      password: postgres
                  parameters:
                    unix_socket_directories: ''
                """.formatted(scope, m.name(), m.restPort(), m.restPort(), etcdPort,
                timings.ttl(), timings.loopWait(), timings.retryTimeout(), synchronous,
                m.pgPort(), m.pgPort(), m.dataDir(), binDir, pgpass);
    }
}
