package dev.warden.example.auction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.warden.WardenConfig;
import dev.warden.http.HealthEndpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A structural check of {@code deploy/k8s/}: the manifests parse, have the fields Kubernetes needs,
 * probe paths the service really serves, and pass only variables the service and Warden read. It is
 * not a full Kubernetes schema validation (no schema is available offline); see docs/service.md.
 */
class ManifestsTest {

    static final Path DIR = Path.of("..", "deploy", "k8s");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static JsonNode read(String file) throws IOException {
        return YAML.readTree(Files.readString(DIR.resolve(file)));
    }

    static Map<String, String> configMap() throws IOException {
        return YAML.convertValue(read("configmap.yaml").get("data"), new TypeReference<>() { });
    }

    @Test
    void deploymentRunsThreeReplicasWithTheThreeProbesOnServedPaths() throws IOException {
        JsonNode d = read("deployment.yaml");
        assertThat(d.get("apiVersion").asText()).isEqualTo("apps/v1");
        assertThat(d.get("kind").asText()).isEqualTo("Deployment");
        assertThat(d.at("/spec/replicas").asInt()).isEqualTo(3);
        d.at("/spec/selector/matchLabels").fields().forEachRemaining(label -> assertThat(
                d.at("/spec/template/metadata/labels").get(label.getKey())).as("pod label %s", label.getKey())
                .isEqualTo(label.getValue()));
        JsonNode c = d.at("/spec/template/spec/containers/0");
        assertThat(c.at("/ports/0/name").asText()).isEqualTo("http");
        assertThat(c.at("/ports/0/containerPort").asInt()).isEqualTo(8080);
        // The probes go to the management port, the one the service serves them on (PORT + 1000 or WARDEN_MANAGEMENT_PORT).
        assertThat(c.at("/ports/1/name").asText()).isEqualTo("management");
        assertThat(c.at("/ports/1/containerPort").asInt()).isEqualTo(AppOptions.from(configMap()).managementPort())
                .isNotEqualTo(8080);
        for (String probe : new String[] {"startupProbe", "readinessProbe", "livenessProbe"}) {
            JsonNode p = c.get(probe);
            assertThat(p).as(probe).isNotNull();
            assertThat(p.at("/httpGet/path").asText()).isIn(HealthEndpoints.READY, HealthEndpoints.LIVE,
                    HealthEndpoints.STARTUP);
            assertThat(p.at("/httpGet/port").asText()).isEqualTo("management");
            assertThat(p.get("periodSeconds").asInt()).isBetween(1, 60);
            assertThat(p.get("timeoutSeconds").asInt()).isLessThan(p.get("periodSeconds").asInt());
        }
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo(HealthEndpoints.LIVE);
        assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo(HealthEndpoints.READY);
        assertThat(c.at("/startupProbe/httpGet/path").asText()).isEqualTo(HealthEndpoints.STARTUP);
        // The startup budget covers Warden's own deadlines: reaching the database, then the initialisation
        // (its own run or the wait for another pod's), so Warden gives up before the kubelet kills it.
        WardenConfig config = WardenConfig.builder().environment(configMap()).build();
        long startupBudget = c.at("/startupProbe/periodSeconds").asLong() * c.at("/startupProbe/failureThreshold").asLong();
        assertThat(startupBudget).isGreaterThan(config.service().startupTimeout().plus(config.init().timeout()).toSeconds());
        // Shutdown: preStop sleep, then the drain, then HTTP's stop (a few seconds' margin) fit the grace period.
        long grace = d.at("/spec/template/spec/terminationGracePeriodSeconds").asLong();
        assertThat(c.at("/lifecycle/preStop/exec/command/0").asText()).isEqualTo("sleep");
        long preStop = c.at("/lifecycle/preStop/exec/command/1").asLong();
        assertThat(preStop).isBetween(1L, 15L);
        assertThat(configMap()).containsKey("WARDEN_DRAIN_TIMEOUT");
        assertThat(preStop + config.service().drainTimeout().toSeconds() + 3).as("preStop + drain + margin <= grace period")
                .isLessThanOrEqualTo(grace);
        assertThat(c.get("command").toString()).contains(AuctionMain.class.getName());
        assertThat(c.at("/envFrom/0/configMapRef/name").asText()).isEqualTo(read("configmap.yaml").at("/metadata/name").asText());
        assertThat(c.at("/envFrom/1/secretRef/name").asText()).isEqualTo(read("secret.yaml").at("/metadata/name").asText());
    }

    @Test
    void configAndSecretSetOnlyKnownVariablesAndTheServiceSelectsThePods() throws IOException {
        Set<String> known = new HashSet<>(WardenConfig.variables().keySet());
        known.addAll(Set.of("HOST", "PORT", "REPLICA_NAME", "AUCTION_JWT_SECRET", "AUCTION_TOKEN_TTL_SECONDS",
                "AUCTION_MAX_BODY_BYTES", "AUCTION_CLOSE_INTERVAL_MS", "AUCTION_DEMO_DATA"));
        JsonNode cm = read("configmap.yaml");
        JsonNode secret = read("secret.yaml");
        assertThat(cm.get("kind").asText()).isEqualTo("ConfigMap");
        assertThat(secret.get("kind").asText()).isEqualTo("Secret");
        Set<String> names = new HashSet<>();
        cm.get("data").fieldNames().forEachRemaining(names::add);
        secret.get("stringData").fieldNames().forEachRemaining(names::add);
        assertThat(known).containsAll(names);
        assertThat(names).contains("WARDEN_DB_URL", "WARDEN_DB_PASSWORD", "AUCTION_JWT_SECRET");
        assertThat(cm.get("data").fieldNames()).toIterable().doesNotContain("WARDEN_DB_PASSWORD", "AUCTION_JWT_SECRET");
        // The ConfigMap's values are accepted by the service's own validation; no demo data.
        Map<String, String> env = new HashMap<>(configMap());
        env.putAll(YAML.convertValue(secret.get("stringData"), new TypeReference<Map<String, String>>() { }));
        AppOptions options = AppOptions.from(configMap());
        assertThat(options.port()).isEqualTo(8080);
        assertThat(options.managementPort()).isEqualTo(9080);
        assertThat(options.demoData()).isFalse();
        WardenConfig.builder().environment(env).build();
        // The Secret's JWT placeholder is refused: the service does not start until it is replaced.
        String placeholder = env.get("AUCTION_JWT_SECRET");
        assertThatThrownBy(() -> AppOptions.from(env)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("AUCTION_JWT_SECRET").message().doesNotContain(placeholder);
        env.put("AUCTION_JWT_SECRET", AuctionApiTest.randomSecret());
        assertThat(AppOptions.from(env).jwtSecret()).hasSize(64);

        // The initialisation the service runs: its own migrations, never a wipe.
        WardenConfig config = AuctionApp.wardenConfig(WardenConfig.builder().environment(env));
        assertThat(config.init().migrations()).containsExactly(AuctionApp.MIGRATIONS);
        assertThat(config.schemas().application()).containsExactly(AuctionApp.SCHEMA);
        assertThat(config.init().wipe()).isFalse();

        JsonNode svc = read("service.yaml");
        assertThat(svc.get("kind").asText()).isEqualTo("Service");
        assertThat(svc.at("/spec/selector")).isEqualTo(read("deployment.yaml").at("/spec/selector/matchLabels"));
        assertThat(svc.at("/spec/ports")).as("the Service exposes the API only").hasSize(1);
        assertThat(svc.at("/spec/ports/0/targetPort").asText()).isEqualTo("http");
    }
}
