package dev.warden.example.spring;

import dev.warden.testing.ThrowawayDatabase;
import java.util.Map;

/** One throw-away embedded PostgreSQL for the test JVM's shared Spring context. */
final class TestDb {

    private static ThrowawayDatabase db;

    private TestDb() {
    }

    static synchronized ThrowawayDatabase get() {
        if (db == null) {
            db = start("warden-spring-test");
            Runtime.getRuntime().addShutdownHook(new Thread(db::close, "stop-test-postgres"));
        }
        return db;
    }

    static ThrowawayDatabase start(String prefix) {
        return ThrowawayDatabase.start(prefix, Map.of("fsync", "off", "synchronous_commit", "off"));
    }
}
