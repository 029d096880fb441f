package dev.warden.testing;

/**
 * What a {@link FaultProxy} does to the traffic of a connection.
 */
public enum Fault {
    /** Bytes pass both ways unchanged. */
    PASS,
    /**
     * Every chunk of bytes waits {@link FaultProxy#delay()} before it is passed on, both ways: a slow
     * network or a slow server, seen from the client.
     */
    DELAY,
    /**
     * Open connections are closed with a TCP reset on both sides at once, and new ones are reset
     * as soon as they arrive: a server that is down, or a firewall that rejects.
     */
    RESET,
    /**
     * Nothing passes either way and nothing is answered: no RST, no FIN, no error (a silently
     * dropped network, a host that died with its sockets open). New connections are accepted by the
     * proxy's kernel but never reach the server. What was sent during a blackhole is held and
     * delivered once the fault is lifted, as TCP's retransmission would after a partition heals.
     *
     * <p>Because the proxy is a process on the client's own host, its kernel still acknowledges
     * TCP keepalive probes: a blackhole here is seen by timeouts and heartbeats at the protocol
     * level, which is what Warden relies on; kernel-level TCP settings are defence in depth for
     * real networks and are not exercised by it.
     */
    BLACKHOLE
}
