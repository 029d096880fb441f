package dev.warden.internal.init;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.extensibility.MigrationType;

/** Names the epoch when none is configured. */
final class EpochName {

    private EpochName() {
    }

    /**
     * A digest of every migration's version, type and checksum, the seed versions, the application
     * schemas and the wipe flag: {@code auto-3f9a…}.
     */
    static String derive(Flyway flyway, Initializer.Plan plan) {
        List<String> parts = new ArrayList<>();
        if (flyway != null) {
            for (MigrationInfo m : flyway.info().all()) {
                // Only what the migration files say: the same before and after any process migrated.
                // Rows Flyway adds to its history by itself (the marker for a schema it created, a
                // baseline) are not migrations, and counting them would give a late process another epoch.
                // (MigrationInfo's getResolvedType/getResolvedChecksum are defaults that answer null in
                // Flyway 13: reading them named every set of migrations the same epoch, so a new
                // migration was never run on a database initialised before it.)
                MigrationType type = m.getType();
                if (!m.getState().isResolved() || type == null || type.isSynthetic()) {
                    continue;
                }
                parts.add("migration " + m.getVersion() + " " + type.name() + " " + m.getScript() + " "
                        + m.getChecksum());
            }
        }
        for (Initializer.NamedSeeder s : plan.seeders()) {
            parts.add("seed " + s.version());
        }
        parts.add("schemas " + plan.schemas());
        parts.add("wipe " + plan.settings().wipe());
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                sha.update(p.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) '\n');
            }
            return "auto-" + HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
