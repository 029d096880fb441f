package db.drill_long;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/** With {@code --migration-seconds S} (and no {@code --concurrent-index}): one statement of S seconds, in a transaction. */
public class V11__Long_migration extends BaseJavaMigration {
    @Override
    public void migrate(Context context) throws Exception {
        int seconds = DrillMigrations.seconds();
        if (seconds <= 0 || DrillMigrations.concurrentIndex()) {
            return;
        }
        DrillMigrations.audit(context.getConnection(), "long");
        try (Statement st = context.getConnection().createStatement()) {
            st.execute("select pg_sleep(" + seconds + ")");
        }
    }
}
