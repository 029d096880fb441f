package dev.warden.pooler;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.warden.testing.PgBouncer;
import dev.warden.testing.ThrowawayDatabase;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A throwaway PostgreSQL with a real PgBouncer in front of it, for the pooler tests: registered as a
 * static {@code @RegisterExtension}, started before the class's tests (skipped outside CI where
 * pgbouncer is not installed) and closed after them.
 */
final class PgBouncerFixture implements BeforeAllCallback, AfterAllCallback {

    private final String name;
    private final Map<String, String> serverSettings;
    private final PgBouncer.Mode mode;
    private final Map<String, String> bouncerSettings;
    private ThrowawayDatabase db;
    private PgBouncer bouncer;

    /** PostgreSQL {@code name} with its defaults, PgBouncer in {@code mode} with {@code bouncerSettings}. */
    PgBouncerFixture(String name, PgBouncer.Mode mode, Map<String, String> bouncerSettings) {
        this(name, Map.of(), mode, bouncerSettings);
    }

    /** PostgreSQL {@code name} with {@code serverSettings} (e.g. {@code hba_file}), PgBouncer in {@code mode} with {@code bouncerSettings}. */
    PgBouncerFixture(String name, Map<String, String> serverSettings, PgBouncer.Mode mode, Map<String, String> bouncerSettings) {
        this.name = name;
        this.serverSettings = serverSettings;
        this.mode = mode;
        this.bouncerSettings = bouncerSettings;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        assumeTrue(PgBouncer.requireUnlessSkippable(), PgBouncer.BINARY + " is not installed: skipped outside CI");
        db = ThrowawayDatabase.start(name, serverSettings);
        bouncer = PgBouncer.start(db, mode, bouncerSettings);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (bouncer != null) {
            bouncer.close();
        }
        if (db != null) {
            db.close();
        }
    }

    /** The PostgreSQL server itself (past PgBouncer). */
    ThrowawayDatabase db() {
        return db;
    }

    /** The PgBouncer in front of it. */
    PgBouncer bouncer() {
        return bouncer;
    }
}
