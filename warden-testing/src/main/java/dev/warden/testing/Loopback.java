package dev.warden.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports on 127.0.0.1 for the servers the test tools start. */
final class Loopback {

    private Loopback() {
    }

    /** A TCP port free on 127.0.0.1 now (another process may take it before the caller binds it). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
