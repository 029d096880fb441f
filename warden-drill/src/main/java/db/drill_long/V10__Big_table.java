package db.drill_long;

import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/** With {@code --concurrent-index}: the table, and an index expression slow enough that building it takes S seconds. */
public class V10__Big_table extends BaseJavaMigration {
    @Override
    public void migrate(Context context) throws Exception {
        if (!DrillMigrations.concurrentIndex()) {
            return;
        }
        double perRow = Math.max(1, DrillMigrations.seconds()) / (double) DrillMigrations.ROWS;
        try (Statement st = context.getConnection().createStatement()) {
            st.execute("create table big (n int)");
            st.execute("insert into big select generate_series(1, " + DrillMigrations.ROWS + ")");
            st.execute("create function slow_key(n int) returns int language plpgsql immutable as $$ begin"
                    + " perform pg_sleep(" + perRow + "); return n; end $$");
        }
    }
}
