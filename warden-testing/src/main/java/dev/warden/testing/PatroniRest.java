package dev.warden.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Queries of Patroni's REST API (and etcd's {@code /health}) on loopback. */
final class PatroniRest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The HTTP status of {@code GET path} on the member's REST API (e.g. {@code /primary}); -1 when it does not answer. */
    int status(PatroniCluster.Member m, String path) {
        return status(m.restApi().resolve(path));
    }

    /** The HTTP status of {@code GET uri}; -1 when it does not answer. */
    int status(URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Asks the leader for a switchover ({@code POST /switchover}); throws unless Patroni answers 200. */
    void switchover(PatroniCluster.Member leader) {
        String body = "{\"leader\": \"" + leader.name() + "\"}";
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(leader.restApi().resolve("/switchover"))
                    .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("Patroni refused the switchover from " + leader.name() + ": "
                        + r.statusCode() + " " + r.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not ask Patroni for a switchover", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during a switchover", e);
        }
    }
}
