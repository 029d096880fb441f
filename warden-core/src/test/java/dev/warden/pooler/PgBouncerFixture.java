package dev.warden.pooler;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.warden.Warden;
import dev.warden.testing.PgBouncer;
import dev.warden.testing.ThrowawayDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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

    /**
     * Starts {@code n} Wardens at once, each on a thread of its own (as {@code n} processes starting
     * together would), and returns them once every one is started (90 s at most each); if one fails,
     * closes those that started and throws.
     */
    static List<Warden> startTogether(int n, Callable<Warden> start) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<Warden>> started = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            started.add(pool.submit(start));
        }
        List<Warden> wardens = new ArrayList<>();
        try {
            for (Future<Warden> f : started) {
                wardens.add(f.get(90, TimeUnit.SECONDS));
            }
            return wardens;
        } catch (Exception | Error e) {
            wardens.forEach(Warden::close);
            throw e;
        } finally {
            pool.shutdownNow();
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
