package db.drill_long;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * With {@code --concurrent-index}: {@code CREATE INDEX CONCURRENTLY}, which cannot run in a
 * transaction, over the slow expression of V10 (S seconds). Written as a careful author writes it
 * ({@code if not exists}), and audited once the index is built.
 */
public class V12__Concurrent_index extends BaseJavaMigration {
    @Override
    public boolean canExecuteInTransaction() {
        return false;
    }

    @Override
    public void migrate(Context context) throws Exception {
        if (!DrillMigrations.concurrentIndex()) {
            return;
        }
        try (Statement st = context.getConnection().createStatement()) {
            st.execute("create index concurrently if not exists big_slow_key_idx on big (slow_key(n))");
        }
        DrillMigrations.audit(context.getConnection(), "index");
    }
}
