package dev.warden;

import java.util.List;
import java.util.Objects;

/**
 * The schemas.
 *
 * @param application the application's schemas, its connections' search path and what a wipe drops
 *                    ({@code WARDEN_SCHEMAS})
 * @param warden      Warden's own schema, never wiped ({@code WARDEN_SCHEMA})
 */
public record SchemaSettings(List<String> application, String warden) {
    public SchemaSettings {
        application = List.copyOf(application);
        Objects.requireNonNull(warden, "warden");
    }
}
