package dev.warden;

/**
 * What stands between Warden and PostgreSQL ({@code WARDEN_POOLER}); see docs/poolers.md.
 * Warden does not guess it: a pooler cannot be told from a server reliably from the client side
 * (PgBouncer answers the ordinary protocol as PostgreSQL does, reports the server's version and
 * answers {@code SHOW} commands only on its admin console), so the setting is required.
 */
public enum Pooler {
    /** A direct connection to PostgreSQL (or a proxy that keeps one server session per client connection). */
    NONE,
    /**
     * A session-mode pooler: a client keeps one server connection for its whole session, so session
     * state is safe. Warden still sends nothing in the start-up packet (stock PgBouncer refuses
     * {@code options} and {@code search_path} in either mode): the statement timeout and the search
     * path are set per transaction with {@code SET LOCAL}.
     */
    SESSION,
    /**
     * A transaction-mode pooler (PgBouncer {@code pool_mode=transaction}, cloud transaction poolers):
     * consecutive transactions of one client may run on different server connections. Warden then
     * relies on no session state: no server-side prepared statements ({@code prepareThreshold=0}),
     * nothing in the start-up packet (statement timeout and search path are set per transaction with
     * {@code SET LOCAL}), and the initialisation takes the lease lock or a direct URL.
     */
    TRANSACTION;

    /** True when a session's state (prepared statements, settings, advisory locks) may reach another client. */
    public boolean sharesSessions() {
        return this == TRANSACTION;
    }
}
