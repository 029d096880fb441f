package dev.warden.internal.health;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * What the database server's address says to a bare TCP handshake: the evidence that tells a
 * network or host that is gone (the SYN goes unanswered) from a host that is alive while PostgreSQL
 * is silent (the kernel completes the handshake even while the server is stopped or starved).
 *
 * <p>One {@link Socket#connect(java.net.SocketAddress, int)} per address of the JDBC URL, closed at
 * at once without sending a byte (PostgreSQL logs nothing for an empty connection). It is read only when a probe heard
 * nothing, so a healthy database never sees it. It is reliable on every platform Java runs on, where
 * the other evidence, unacknowledged data on an established connection ({@code tx_queue} in
 * {@code /proc/net/tcp}, {@code ss -ti}), is Linux-only and says nothing more on loopback. What it
 * cannot see: anything behind a TCP proxy or pooler, whose own kernel completes the handshake
 * (PgBouncer, HAProxy, a cloud proxy). Behind one, Warden sees {@link Handshake#COMPLETED} and
 * assumes the server alive but silent; the stall bound then ends the wait.
 */
final class TcpEvidence {

    /** The answer of the server's address to a TCP handshake. */
    enum Handshake {
        /** The handshake completed: the host (or a proxy in front of it) is alive. */
        COMPLETED,
        /** Actively refused (RST) or unreachable (ICMP): an answer, not a silence. */
        REFUSED,
        /** No answer within the time given: the SYN was dropped, the network or host is gone. */
        UNANSWERED
    }

    /**
     * The outcome and which address said it.
     *
     * @param handshake what was seen
     * @param address   host:port it was seen at (the first that completed, else the first)
     */
    record Finding(Handshake handshake, String address) {
    }

    private final List<InetSocketAddress> addresses;

    private TcpEvidence(List<InetSocketAddress> addresses) {
        this.addresses = addresses;
    }

    /**
     * The addresses of a {@code jdbc:postgresql://host[:port][,host[:port]…]/db} URL (5432 when no
     * port is given; {@code jdbc:postgresql:db} is localhost).
     */
    static TcpEvidence of(String jdbcUrl) {
        return new TcpEvidence(addresses(jdbcUrl));
    }

    static List<InetSocketAddress> addresses(String jdbcUrl) {
        String prefix = "jdbc:postgresql:";
        String rest = jdbcUrl.startsWith(prefix) ? jdbcUrl.substring(prefix.length()) : jdbcUrl;
        List<InetSocketAddress> out = new ArrayList<>();
        if (!rest.startsWith("//")) {
            out.add(InetSocketAddress.createUnresolved("localhost", 5432));
            return out;
        }
        rest = rest.substring(2);
        int end = rest.length();
        for (char c : new char[] {'/', '?'}) {
            int i = rest.indexOf(c);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        String hosts = rest.substring(0, end);
        for (String h : hosts.split(",")) {
            if (h.isBlank()) {
                continue;
            }
            String host = h;
            int port = 5432;
            if (h.startsWith("[")) { // [ipv6]:port
                int close = h.indexOf(']');
                host = h.substring(1, close);
                if (close + 1 < h.length() && h.charAt(close + 1) == ':') {
                    port = Integer.parseInt(h.substring(close + 2));
                }
            } else if (h.lastIndexOf(':') > 0) {
                host = h.substring(0, h.lastIndexOf(':'));
                port = Integer.parseInt(h.substring(h.lastIndexOf(':') + 1));
            }
            out.add(InetSocketAddress.createUnresolved(host, port));
        }
        if (out.isEmpty()) {
            out.add(InetSocketAddress.createUnresolved("localhost", 5432));
        }
        return List.copyOf(out);
    }

    /**
     * Tries a handshake with every address in parallel for at most {@code timeout}: COMPLETED when
     * any completed, else REFUSED when any refused, else UNANSWERED.
     */
    CompletableFuture<Finding> check(Duration timeout, Executor executor) {
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        List<CompletableFuture<Handshake>> each = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
            each.add(CompletableFuture.supplyAsync(() -> handshake(a, ms), executor));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> {
            Finding refused = null;
            for (int i = 0; i < each.size(); i++) {
                Handshake h = each.get(i).join();
                String where = addresses.get(i).getHostString() + ":" + addresses.get(i).getPort();
                if (h == Handshake.COMPLETED) {
                    return new Finding(h, where);
                }
                if (h == Handshake.REFUSED && refused == null) {
                    refused = new Finding(h, where);
                }
            }
            InetSocketAddress first = addresses.get(0);
            return refused != null ? refused
                    : new Finding(Handshake.UNANSWERED, first.getHostString() + ":" + first.getPort());
        });
    }

    static Handshake handshake(InetSocketAddress unresolved, int timeoutMs) {
        InetSocketAddress a = new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
        if (a.isUnresolved()) {
            return Handshake.REFUSED; // a name that does not resolve is an answer (from DNS), not a silence
        }
        try (Socket s = new Socket()) {
            s.connect(a, timeoutMs);
            return Handshake.COMPLETED;
        } catch (SocketTimeoutException e) {
            return Handshake.UNANSWERED;
        } catch (ConnectException | NoRouteToHostException e) {
            // "Connection timed out" from the kernel is a silence; "refused" and "no route" are answers.
            String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
            return m.contains("timed out") ? Handshake.UNANSWERED : Handshake.REFUSED;
        } catch (IOException | RuntimeException e) {
            return Handshake.REFUSED;
        }
    }
}
