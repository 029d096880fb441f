package dev.warden.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.ConfigException;
import dev.warden.WardenConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataProperty;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepository;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepositoryJsonBuilder;

/**
 * The shipped {@code META-INF/spring-configuration-metadata.json} (IDE completion and documentation
 * of {@code warden.*}) is generated from Warden's option table: one property per variable, named by
 * {@link SpringWardenConfig#property(String)}, its type read from its default, its description the
 * table's rule, plus the starter's own switches. This test fails when the file drifts from the table;
 * {@code -Dwarden.metadata.write=true} rewrites it.
 */
class ConfigurationMetadataTest {

    static final Path FILE = Path.of("src/main/resources/META-INF/spring-configuration-metadata.json");

    /** The starter's own properties, not options of WardenConfig. */
    record Own(String name, String type, String defaultValue, Class<?> source, String description) {
        String sourceType() {
            return source.getName();
        }
    }

    static final List<Own> OWN = List.of(
            new Own("warden.enabled", "java.lang.Boolean", "true", WardenAutoConfiguration.class,
                    "Whether the Warden starter configures anything; false turns it all off."),
            new Own(WardenDatabaseChoice.EMBEDDED_ENABLED, "java.lang.Boolean", null, WardenAutoConfiguration.class,
                    "Use Warden's embedded PostgreSQL when no database URL is set, even though an embedded H2,"
                            + " HSQLDB or Derby is on the classpath (else Warden steps aside for it)."),
            new Own(WardenWebMvcConfiguration.ENABLED, "java.lang.Boolean", "true", WardenWebMvcConfiguration.class,
                    "Answer 503 with Retry-After in Spring MVC when Warden refuses work (NotReadyException,"
                            + " DatabaseUnavailableException), with one log line per state instead of a stack trace"
                            + " per request."),
            new Own(WardenWebMvcConfiguration.RETRY_AFTER, "java.time.Duration", "1s", WardenWebMvcConfiguration.class,
                    "The Retry-After of those 503 answers, in whole seconds (at least 1)."));

    @Test
    void shippedMetadataMatchesTheOptionTable() throws IOException {
        String expected = generate();
        String actual = Files.exists(FILE) ? Files.readString(FILE) : "";
        if (!expected.equals(actual) && Boolean.getBoolean("warden.metadata.write")) {
            Files.writeString(FILE, expected);
            actual = expected;
        }
        assertThat(actual).as("%s drifted from Warden's option table: run this test with -Dwarden.metadata.write=true"
                + " and commit the file", FILE).isEqualTo(expected);
    }

    @Test
    void idesReadEveryPropertyWithItsDefault() throws IOException {
        URL ours = null;
        for (URL u : Collections.list(getClass().getClassLoader().getResources("META-INF/spring-configuration-metadata.json"))) {
            if (u.toString().contains("warden-spring-boot-starter")) {
                ours = u;
            }
        }
        assertThat(ours).as("on the classpath, where IDEs look").isNotNull();
        ConfigurationMetadataRepository repo;
        try (InputStream in = ours.openStream()) {
            repo = ConfigurationMetadataRepositoryJsonBuilder.create(in).build();
        }
        Map<String, ConfigurationMetadataProperty> all = repo.getAllProperties();
        assertThat(all).containsKeys(SpringWardenConfig.properties().values().toArray(String[]::new));
        assertThat(all).hasSize(SpringWardenConfig.properties().size() + OWN.size());
        assertThat(all.get("warden.pool.max-size").getType()).isEqualTo("java.lang.Integer");
        assertThat(all.get("warden.pool.max-size").getDefaultValue()).isEqualTo(10);
        assertThat(all.get("warden.pool.max-size").getDescription()).contains("an integer from 1 to 1000")
                .contains("WARDEN_POOL_MAX_SIZE");
        assertThat(all.get("warden.ready-wait").getType()).isEqualTo("java.time.Duration");
        assertThat(all.get("warden.schemas").getType()).isEqualTo("java.util.List<java.lang.String>");
        assertThat(all.get("warden.tx.isolation").getHints().getValueHints()).extracting(h -> h.getValue())
                .contains("SERIALIZABLE", "READ_COMMITTED");
    }

    static String generate() {
        StringBuilder props = new StringBuilder();
        StringBuilder hints = new StringBuilder();
        for (Map.Entry<String, String> e : SpringWardenConfig.properties().entrySet()) {
            String variable = e.getKey();
            String def = WardenConfig.variables().get(variable);
            String rule = rule(variable);
            String type = type(def, rule);
            String description = (rule == null ? "Any text." : "Must be " + rule + ".")
                    + " The variable " + variable + " (docs/configuration.md).";
            property(props, e.getValue(), type, "dev.warden.spring.SpringWardenConfig", description, typed(type, def));
            List<String> values = values(rule);
            if (!values.isEmpty()) {
                sep(hints).append("    {\n      \"name\": \"").append(e.getValue()).append("\",\n      \"values\": [");
                for (int i = 0; i < values.size(); i++) {
                    hints.append(i == 0 ? "\n" : ",\n").append("        {\"value\": \"").append(values.get(i)).append("\"}");
                }
                hints.append("\n      ]\n    }");
            }
        }
        for (Own o : OWN) {
            property(props, o.name(), o.type(), o.sourceType(), o.description(),
                    o.defaultValue() == null ? null : typed(o.type(), o.defaultValue()));
        }
        return "{\n  \"groups\": [\n    {\"name\": \"warden\", \"description\": \"Warden: the database layer of this"
                + " application (docs/spring.md).\"}\n  ],\n  \"properties\": [\n" + props + "\n  ],\n  \"hints\": [\n"
                + hints + "\n  ]\n}\n";
    }

    private static void property(StringBuilder out, String name, String type, String sourceType, String description,
            String typedDefault) {
        sep(out).append("    {\n      \"name\": \"").append(name).append("\",\n      \"type\": \"").append(type)
                .append("\",\n      \"sourceType\": \"").append(sourceType).append("\",\n      \"description\": \"")
                .append(json(description)).append('"');
        if (typedDefault != null) {
            out.append(",\n      \"defaultValue\": ").append(typedDefault);
        }
        out.append("\n    }");
    }

    private static StringBuilder sep(StringBuilder out) {
        return out.isEmpty() ? out : out.append(",\n");
    }

    /** The table's rule for a variable, as its error message words it: set a value no rule accepts. */
    static String rule(String variable) {
        String bad = "\u0000 not valid " + "x".repeat(200);
        try {
            WardenConfig.builder().environment(Map.of(variable, bad)).build();
            return null; // any text
        } catch (ConfigException e) {
            String head = variable + " must be ";
            for (String p : e.problems()) {
                int got = p.lastIndexOf(", got \"");
                if (p.startsWith(head) && got > 0) {
                    return p.substring(head.length(), got);
                }
            }
            return null;
        }
    }

    static String type(String def, String rule) {
        if (rule != null && rule.contains("comma-separated list")) {
            return "java.util.List<java.lang.String>";
        }
        if (def.matches("\\d+")) {
            return "java.lang.Integer";
        }
        if (def.matches("\\d+\\.\\d+")) {
            return "java.lang.Double";
        }
        if (def.matches("\\d+(ms|s|m|h)")) {
            return "java.time.Duration";
        }
        return def.equals("true") || def.equals("false") ? "java.lang.Boolean" : "java.lang.String";
    }

    private static String typed(String type, String def) {
        if (def.isEmpty()) {
            return null;
        }
        return switch (type) {
            case "java.lang.Integer", "java.lang.Double", "java.lang.Boolean" -> def;
            case "java.util.List<java.lang.String>" -> "[" + String.join(", ",
                    Arrays.stream(def.split(",")).map(s -> "\"" + json(s.trim()) + "\"").toList()) + "]";
            default -> "\"" + json(def) + "\"";
        };
    }

    /** Hint values from a rule worded {@code one of [A, B, C]}. */
    private static List<String> values(String rule) {
        List<String> values = new ArrayList<>();
        if (rule != null && rule.startsWith("one of [") && rule.endsWith("]")) {
            for (String v : rule.substring("one of [".length(), rule.length() - 1).split(",")) {
                values.add(v.trim());
            }
        }
        return values;
    }

    private static String json(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
