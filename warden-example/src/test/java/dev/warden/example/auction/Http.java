package dev.warden.example.auction;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small client for the service over real HTTP (java.net.http), with problem-body checks. */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A response: status, raw body, parsed JSON (null when not JSON) and the response itself. */
    record Resp(int status, String raw, JsonNode json, HttpResponse<String> response) {
        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        JsonNode get(String field) {
            return json == null ? null : json.get(field);
        }
    }

    private final String base;
    private final HttpClient client;

    Http(String base) {
        this.base = base;
        this.client = CLIENT;
    }

    /** A client whose connections come from {@code local}, a loopback address such as 127.0.0.2 (another "client address"). */
    Http(String base, java.net.InetAddress local) {
        this.base = base;
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).localAddress(local).build();
    }

    Resp get(String path, String token) {
        return send(builder(path, token).GET());
    }

    Resp post(String path, String token, String body) {
        return send(builder(path, token).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    Resp patch(String path, String token, String body) {
        return send(builder(path, token).method("PATCH", HttpRequest.BodyPublishers.ofString(body)));
    }

    Resp put(String path, String token) {
        return send(builder(path, token).PUT(HttpRequest.BodyPublishers.noBody()));
    }

    Resp delete(String path, String token) {
        return send(builder(path, token).DELETE());
    }

    HttpRequest.Builder builder(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", token.startsWith("RAW:") ? token.substring(4) : "Bearer " + token);
        }
        return b;
    }

    Resp send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode node = null;
            try {
                node = r.body().isEmpty() ? null : JSON.readTree(r.body());
            } catch (IOException notJson) {
                // left null
            }
            return new Resp(r.statusCode(), r.body(), node, r);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Asserts an RFC 9457 problem with this status whose detail (or errors) mention {@code text}. */
    static JsonNode assertProblem(Resp r, int status, String text) {
        assertThat(r.status()).as("status of %s", r.raw()).isEqualTo(status);
        assertThat(r.header("Content-Type")).startsWith("application/problem+json");
        assertThat(r.json()).as("problem body").isNotNull();
        assertThat(r.json().get("status").asInt()).isEqualTo(status);
        assertThat(r.json().get("title").asText()).isNotBlank();
        assertThat(r.json().get("detail").asText()).isNotBlank();
        if (text != null) {
            assertThat(r.raw()).containsIgnoringCase(text);
        }
        assertNoLeak(r);
        return r.json();
    }

    /** No stack trace, exception class, SQL text or SQLState in a response. */
    static void assertNoLeak(Resp r) {
        assertThat(r.raw()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("org.")
                .doesNotContain("java.").doesNotContainIgnoringCase("SQLState").doesNotContainIgnoringCase("select ")
                .doesNotContainIgnoringCase("insert into").doesNotContainIgnoringCase("update listing")
                .doesNotContain("ERROR:");
    }
}
