package dev.warden.spi;

import java.sql.Connection;

/**
 * Loads seed data once per epoch. Seeders run inside the initialisation, after the wipe and the
 * migrations, in the same transaction that marks the epoch COMPLETED and checks the fencing
 * token: either the seed data and the COMPLETED mark commit together, or neither does. Do not
 * commit or roll back the connection yourself.
 */
@FunctionalInterface
public interface Seeder {

    void seed(Context context) throws Exception;

    /** What a seeder gets. */
    interface Context {
        /** The initialisation transaction's connection (auto-commit off). */
        Connection connection();

        /** The epoch being initialised. */
        String epoch();

        /** True when the application schemas were wiped for this epoch. */
        boolean wiped();

        /** Reports progress in the startup probe and the health report, e.g. {@code "seeded 400 of 1000 users"}. */
        void progress(String text);
    }
}
