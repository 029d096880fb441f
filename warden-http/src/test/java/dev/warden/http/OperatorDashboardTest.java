package dev.warden.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.warden.Warden;
import dev.warden.WardenConfig;
import dev.warden.testing.ThrowawayDatabase;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator files in deploy/ against a real Warden on a real PostgreSQL: the Grafana dashboard
 * loads (panels, targets, datasource variable, unique ids, no overlap), and every metric that its
 * queries and the Prometheus alert rules name is a series of the live {@code /metrics}; then a real
 * Prometheus scrapes that Warden: every dashboard query returns series, every alert rule evaluates
 * without error and none fires, until the database stops and WardenDegraded goes pending.
 */
class OperatorDashboardTest {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path DASHBOARD = ROOT.resolve("deploy/grafana/warden-dashboard.json");
    private static final Path ALERTS = ROOT.resolve("deploy/prometheus/warden-alerts.yml");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?(\\w+)");

    private static ThrowawayDatabase db;
    private static Warden warden;
    private static WardenHttp http;
    private static Set<String> liveSeries;

    @BeforeAll
    static void startWarden() throws Exception {
        db = ThrowawayDatabase.start("warden-dashboard-pg", Map.of());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        warden = Warden.builder().meterRegistry(registry)
                .config(WardenConfig.builder().environment(Map.of()).dbUrl(db.jdbcUrl()).poolMaxSize(2).build())
                .build();
        http = WardenHttp.start(warden, 0);
        warden.start();
        warden.inTransaction(tx -> 1);
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/metrics"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        liveSeries = seriesNames(metrics.body());
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            http.close();
        }
        if (warden != null) {
            warden.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void dashboardLoadsAsAGrafanaDashboardOverAPrometheusDatasourceVariable() throws Exception {
        JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(d.path("uid").asText()).isNotBlank();
        assertThat(d.path("title").asText()).isNotBlank();
        assertThat(d.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);

        Set<String> variables = new HashSet<>();
        String datasource = null;
        for (JsonNode v : d.path("templating").path("list")) {
            variables.add(v.path("name").asText());
            if ("datasource".equals(v.path("type").asText()) && "prometheus".equals(v.path("query").asText())) {
                datasource = "${" + v.path("name").asText() + "}";
            }
        }
        assertThat(datasource).as("a datasource variable of type prometheus").isNotNull();
        for (JsonNode v : d.path("templating").path("list")) {
            if ("query".equals(v.path("type").asText())) {
                assertThat(v.path("datasource").path("uid").asText()).as("variable %s", v.path("name")).isEqualTo(datasource);
            }
        }

        List<JsonNode> panels = allPanels(d);
        assertThat(panels).hasSizeGreaterThan(10);
        Set<Integer> ids = new HashSet<>();
        List<int[]> boxes = new ArrayList<>();
        int queries = 0;
        for (JsonNode p : panels) {
            String name = "panel " + p.path("id") + " " + p.path("title");
            assertThat(p.path("id").isInt()).as(name + " id").isTrue();
            assertThat(ids.add(p.path("id").asInt())).as(name + ": unique id").isTrue();
            assertThat(p.path("title").asText()).as(name + " title").isNotBlank();
            JsonNode g = p.path("gridPos");
            int x = g.path("x").asInt(-1);
            int y = g.path("y").asInt(-1);
            int w = g.path("w").asInt(0);
            int h = g.path("h").asInt(0);
            assertThat(x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= 24).as(name + " gridPos " + g).isTrue();
            for (int[] b : boxes) {
                boolean overlap = x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h;
                assertThat(overlap).as(name + " overlaps another panel").isFalse();
            }
            boxes.add(new int[] {x, y, w, h});
            if ("row".equals(p.path("type").asText())) {
                continue;
            }
            assertThat(p.path("type").asText()).as(name + " type").isNotBlank();
            assertThat(p.path("datasource").path("uid").asText()).as(name + " datasource").isEqualTo(datasource);
            assertThat(p.path("targets")).as(name + " targets").isNotEmpty();
            Set<String> refIds = new HashSet<>();
            for (JsonNode t : p.path("targets")) {
                assertThat(refIds.add(t.path("refId").asText())).as(name + ": unique refId").isTrue();
                assertThat(t.path("expr").asText()).as(name + " expr").isNotBlank();
                assertThat(t.path("datasource").path("uid").asText()).as(name + " target datasource").isEqualTo(datasource);
                Matcher m = VARIABLE.matcher(t.path("expr").asText());
                while (m.find()) {
                    assertThat(m.group(1).startsWith("__") || variables.contains(m.group(1)))
                            .as(name + ": variable $" + m.group(1) + " is defined").isTrue();
                }
                queries++;
            }
        }
        assertThat(queries).isGreaterThan(20);
    }

    @Test
    void everyMetricTheDashboardQueriesIsASeriesOfTheLiveMetrics() throws Exception {
        Map<String, Set<String>> names = new LinkedHashMap<>();
        JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
        for (JsonNode p : allPanels(d)) {
            for (JsonNode t : p.path("targets")) {
                names.put(p.path("title").asText() + " " + t.path("refId").asText(), PromQl.metricNames(t.path("expr").asText()));
            }
        }
        for (JsonNode v : d.path("templating").path("list")) {
            Matcher m = LABEL_VALUES.matcher(v.path("definition").asText());
            if (m.find()) {
                names.put("variable " + v.path("name").asText(), Set.of(m.group(1)));
            }
        }
        assertEveryNameIsLive(names);
    }

    @Test
    void everyMetricTheAlertRulesQueryIsASeriesOfTheLiveMetrics() throws Exception {
        JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(ALERTS.toFile());
        Map<String, Set<String>> names = new LinkedHashMap<>();
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                names.put(rule.path("alert").asText(), PromQl.metricNames(rule.path("expr").asText()));
            }
        }
        assertThat(names).containsKeys("WardenDegraded", "WardenRecoveryFailing", "WardenCommitOutcomeUnknown",
                "WardenPoolSaturated", "WardenInitFailed", "WardenInitTooLong");
        assertEveryNameIsLive(names);
    }

    @Test
    void everyMetricNamedInTheObservabilityGuideIsLive() throws Exception {
        String guide = java.nio.file.Files.readString(ROOT.resolve("docs/observability.md"));
        Matcher m = Pattern.compile("\\b((?:warden|hikaricp)_[a-z_]+)").matcher(guide);
        Set<String> named = new TreeSet<>();
        while (m.find()) {
            named.add(m.group(1));
        }
        assertThat(named).hasSizeGreaterThan(10);
        for (String name : named) {
            // A timer is named by its base name; its series are _count, _sum and _max.
            assertThat(liveSeries).as("docs/observability.md names %s", name)
                    .containsAnyOf(name, name + "_count", name + "_total");
        }
    }

    @Test
    void metricNamesAreReadOutOfPromQl() {
        assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (le) (rate(warden_probe_latency_seconds_bucket"
                + "{job=~\"$job\", outcome!=\"silent\"}[$__rate_interval])))"))
                .containsExactly("warden_probe_latency_seconds_bucket");
        assertThat(PromQl.metricNames("max by (job, instance, pool) (a_pending) > 0 and on (pool) b_active >= 2 * c_max"
                + " offset 5m or vector(0)"))
                .containsExactly("a_pending", "b_active", "c_max");
        assertThat(PromQl.metricNames("sum(rate(x_total[1m])) without (kind) / ignoring (kind) group_left y"))
                .containsExactly("x_total", "y");
        // A name the live metrics do not have is caught.
        assertThat(liveSeries).doesNotContainAnyElementsOf(PromQl.metricNames("rate(warden_transactions_count[5m])"));
    }

    @Test
    void everyDashboardQueryReturnsSeriesAndTheAlertsFollowTheDatabaseInAPrometheusScrapingALiveWarden() throws Exception {
        Optional<Path> binary = PrometheusServer.binary();
        if (binary.isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("prometheus is not installed (Debian: apt-get install prometheus); .ci/run installs it");
            }
            Assumptions.abort("prometheus is not installed (Debian: apt-get install prometheus)");
        }
        JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
        try (PrometheusServer prometheus = PrometheusServer.start(binary.get(), http.port(), ALERTS)) {
            // Enough scrapes (1 s apart) for rate() over 30 s to have two samples of every series.
            Awaitility.await("three scrapes of the Warden").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        JsonNode r = prometheus.query("count_over_time(up{job=\"warden\"}[30s]) >= 3 and up{job=\"warden\"} == 1");
                        return r.path("result").size() == 1;
                    });
            warden.inTransaction(tx -> 1);
            List<String> empty = new ArrayList<>();
            int queries = 0;
            for (JsonNode p : allPanels(d)) {
                for (JsonNode t : p.path("targets")) {
                    String expr = t.path("expr").asText()
                            .replace("$__rate_interval", "30s").replace("$job", "warden").replace("$instance", ".*");
                    JsonNode data = prometheus.query(expr);
                    if (data.path("result").isEmpty()) {
                        empty.add(p.path("title").asText() + " " + t.path("refId").asText() + ": " + expr);
                    }
                    queries++;
                }
            }
            assertThat(empty).as("dashboard queries that returned no series, of %d", queries).isEmpty();

            // The alert rules load and evaluate without error on the live series; a READY replica
            // on a healthy database raises none of them.
            int ruleCount = 0;
            for (JsonNode g : new ObjectMapper(new YAMLFactory()).readTree(ALERTS.toFile()).path("groups")) {
                ruleCount += g.path("rules").size();
            }
            int expected = ruleCount;
            Awaitility.await("every alert rule evaluated").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        List<JsonNode> rules = new ArrayList<>();
                        prometheus.api("/api/v1/rules").path("groups").forEach(g -> g.path("rules").forEach(rules::add));
                        return rules.size() == expected && rules.stream().allMatch(r -> !r.path("lastEvaluation").asText().startsWith("0001"));
                    });
            List<String> unhealthy = new ArrayList<>();
            List<String> active = new ArrayList<>();
            for (JsonNode g : prometheus.api("/api/v1/rules").path("groups")) {
                for (JsonNode r : g.path("rules")) {
                    if (!"ok".equals(r.path("health").asText())) {
                        unhealthy.add(r.path("name").asText() + ": " + r.path("lastError").asText());
                    }
                    if (!"inactive".equals(r.path("state").asText())) {
                        active.add(r.path("name").asText() + " " + r.path("state").asText());
                    }
                }
            }
            assertThat(unhealthy).as("alert rules that failed to evaluate").isEmpty();
            assertThat(active).as("alerts pending or firing for a healthy replica").isEmpty();

            // The database stops: the replica turns DEGRADED and WardenDegraded goes pending (it
            // fires after its 1-minute hold, which the rule tests cover).
            db.stop();
            try {
                Awaitility.await("WardenDegraded pending").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                        .until(() -> {
                            for (JsonNode alert : prometheus.api("/api/v1/alerts").path("alerts")) {
                                if ("WardenDegraded".equals(alert.path("labels").path("alertname").asText())) {
                                    return true;
                                }
                            }
                            return false;
                        });
            } finally {
                db.restart();
            }
            assertThat(warden.awaitReady(Duration.ofSeconds(30))).isTrue();
        }
    }

    private static void assertEveryNameIsLive(Map<String, Set<String>> namesByQuery) {
        Set<String> checked = new TreeSet<>();
        namesByQuery.forEach((query, names) -> {
            assertThat(names).as("metric names in %s", query).isNotEmpty();
            for (String name : names) {
                assertThat(liveSeries).as("%s reads %s, a series of the live /metrics", query, name).contains(name);
                checked.add(name);
            }
        });
        assertThat(checked).hasSizeGreaterThan(5);
    }

    private static Set<String> seriesNames(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                int end = line.length();
                int brace = line.indexOf('{');
                int space = line.indexOf(' ');
                if (brace > 0) {
                    end = brace;
                } else if (space > 0) {
                    end = space;
                }
                names.add(line.substring(0, end));
            }
        }
        return names;
    }

    private static List<JsonNode> allPanels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            out.add(p);
            p.path("panels").forEach(out::add);
        }
        return out;
    }
}
