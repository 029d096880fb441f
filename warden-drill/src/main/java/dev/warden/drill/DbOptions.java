package dev.warden.drill;

import picocli.CommandLine.Option;

/** {@code --db-url}, {@code --db-user}, {@code --db-password}: the drills that can run on your own PostgreSQL. */
public final class DbOptions {

    @Option(names = "--db-url", description = "A PostgreSQL JDBC URL; default: an embedded PostgreSQL in a temporary directory.")
    String url;

    @Option(names = "--db-user", defaultValue = "postgres", description = "Database user (default ${DEFAULT-VALUE}).")
    String user;

    @Option(names = "--db-password", defaultValue = "", description = "Database password (default: none).")
    String password;

    /** The URL, or null for an embedded PostgreSQL. */
    public String url() {
        return url;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }
}
