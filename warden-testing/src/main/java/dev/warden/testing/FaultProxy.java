package dev.warden.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP proxy on loopback that makes network faults for real, without root: it sits between a
 * client (Warden, pgjdbc) and a server (PostgreSQL) and can pass, delay, reset or silently drop
 * (blackhole) the traffic of every connection or of chosen ones. For tests and drills.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start(db.port())) {
 *     String url = proxy.jdbcUrl("postgres");   // connect through the proxy
 *     proxy.set(Fault.BLACKHOLE);               // every connection, open and new: silence
 *     proxy.set(Fault.PASS);                    // healed: what was held is delivered
 *     proxy.linkForServerPort(port).orElseThrow().set(Fault.BLACKHOLE); // one connection only
 * }
 * }</pre>
 *
 * <p>A connection is identified to the server by the proxy's own port towards it, which PostgreSQL
 * shows as {@code pg_stat_activity.client_port}: {@link #linkForServerPort(int)} finds the link of a
 * given backend, e.g. the one that holds a lock.
 */
public final class FaultProxy implements AutoCloseable {

    private static final int CHUNK = 16 * 1024;
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger ids = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile Fault fault = Fault.PASS; // for new links, and links without their own
    private volatile Duration delay = Duration.ofMillis(100);
    private volatile boolean closed;

    private FaultProxy(InetSocketAddress target, ServerSocket listener) {
        this.target = target;
        this.listener = listener;
    }

    /** Starts a proxy on a free loopback port in front of {@code 127.0.0.1:targetPort}. */
    public static FaultProxy start(int targetPort) {
        return start("127.0.0.1", targetPort);
    }

    /** Starts a proxy on a free loopback port in front of {@code host:port}. */
    public static FaultProxy start(String host, int port) {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("target port must be 1..65535, got " + port);
        }
        try {
            ServerSocket listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
            FaultProxy proxy = new FaultProxy(new InetSocketAddress(host, port), listener);
            daemon("fault-proxy-accept-" + listener.getLocalPort(), proxy::acceptLoop).start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not open the fault proxy's port on loopback", e);
        }
    }

    /** The loopback port clients connect to. */
    public int port() {
        return listener.getLocalPort();
    }

    /** A pgjdbc URL to {@code database} through this proxy. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
    }

    /**
     * Applies {@code fault} to every open connection and to every new one (a connection's own
     * fault, set by {@link Link#set(Fault)}, is replaced).
     */
    public void set(Fault fault) {
        Objects.requireNonNull(fault, "fault");
        lock.lock();
        try {
            this.fault = fault;
            for (Link link : links) {
                link.own = null;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (fault == Fault.RESET) {
            links.forEach(Link::reset);
        }
    }

    /**
     * Applies {@code fault} to new connections only: every open connection keeps the fault it has
     * now. E.g. after a blackhole, {@code setForNew(PASS)} is a network that healed for new
     * connections while the old ones still wait (a sender in TCP retransmission back-off, whose
     * next try may be many seconds away).
     */
    public void setForNew(Fault fault) {
        Objects.requireNonNull(fault, "fault");
        lock.lock();
        try {
            for (Link link : links) {
                if (link.own == null) {
                    link.own = this.fault;
                }
            }
            this.fault = fault;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The fault applied to new connections. */
    public Fault fault() {
        return fault;
    }

    /** How long {@link Fault#DELAY} holds each chunk; 100 ms unless set. */
    public void delay(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, got " + delay);
        }
        this.delay = delay;
    }

    public Duration delay() {
        return delay;
    }

    /** The connections open now, oldest first. */
    public List<Link> links() {
        return links.stream().filter(Link::open).toList();
    }

    /** How many connections the proxy has accepted since it started. */
    public int accepted() {
        return accepted.get();
    }

    /**
     * The open connection whose port towards the server is {@code serverSidePort}: what PostgreSQL
     * reports as {@code client_port} for that backend.
     */
    public Optional<Link> linkForServerPort(int serverSidePort) {
        return links.stream().filter(l -> l.open() && l.serverSidePort == serverSidePort).findFirst();
    }

    /** Stops accepting and resets every open connection. */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        links.forEach(Link::reset);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            Link link = new Link(ids.incrementAndGet(), client);
            if (fault == Fault.RESET) {
                link.reset();
                continue;
            }
            links.add(link);
            daemon("fault-proxy-link-" + link.id, link::run).start();
        }
    }

    private static Thread daemon(String name, Runnable body) {
        return Thread.ofPlatform().daemon().name(name).unstarted(body);
    }

    /** One proxied connection: a client socket and, once it may pass, its socket to the server. */
    public final class Link {
        private final int id;
        private final Socket client;
        private volatile Socket server;
        private volatile int serverSidePort = -1;
        private volatile Fault own; // null: the proxy's fault
        private volatile boolean open = true;

        private Link(int id, Socket client) {
            this.id = id;
            this.client = client;
        }

        /** A number unique within this proxy, in order of arrival. */
        public int id() {
            return id;
        }

        /** The client's port, as the proxy sees it. */
        public int clientPort() {
            return client.getPort();
        }

        /**
         * The proxy's port towards the server ({@code client_port} in {@code pg_stat_activity}), or
         * -1 while the connection has not reached the server (e.g. it arrived during a blackhole).
         */
        public int serverSidePort() {
            return serverSidePort;
        }

        public boolean open() {
            return open;
        }

        /** The fault in force for this connection. */
        public Fault fault() {
            Fault f = own;
            return f != null ? f : FaultProxy.this.fault;
        }

        /** Applies {@code fault} to this connection only, until the next {@link FaultProxy#set}. */
        public void set(Fault fault) {
            Objects.requireNonNull(fault, "fault");
            lock.lock();
            try {
                own = fault;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (fault == Fault.RESET) {
                reset();
            }
        }

        private void run() {
            try {
                if (!awaitPass()) {
                    return;
                }
                Socket s = new Socket();
                s.setTcpNoDelay(true);
                s.connect(target, CONNECT_TIMEOUT_MS);
                server = s;
                serverSidePort = s.getLocalPort();
                client.setTcpNoDelay(true);
                if (!open) { // reset while connecting
                    reset();
                    return;
                }
                daemon("fault-proxy-up-" + id, () -> pump(client, s)).start();
                pump(s, client);
            } catch (IOException e) {
                reset();
            }
        }

        private void pump(Socket from, Socket to) {
            byte[] buf = new byte[CHUNK];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (awaitPass()) {
                    int n = in.read(buf);
                    if (!awaitPass()) { // what arrived during a blackhole waits for the heal
                        return;
                    }
                    if (n < 0) {
                        break;
                    }
                    if (fault() == Fault.DELAY) {
                        TimeUnit.NANOSECONDS.sleep(delay.toNanos());
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
                closeBoth();
            } catch (IOException e) {
                closeBoth();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reset();
            }
        }

        /** Waits while blackholed; false when the link is gone (closed, reset or proxy closed). */
        private boolean awaitPass() {
            lock.lock();
            try {
                while (open && !closed && fault() == Fault.BLACKHOLE) {
                    changed.await();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } finally {
                lock.unlock();
            }
            if (closed || fault() == Fault.RESET) {
                reset();
                return false;
            }
            return open;
        }

        /** Closes both sides with a TCP reset (SO_LINGER 0). */
        private void reset() {
            for (Socket s : new Socket[] {client, server}) {
                if (s != null) {
                    try {
                        s.setSoLinger(true, 0);
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
            }
            closeBoth();
        }

        private void closeBoth() {
            open = false;
            links.remove(this);
            for (Socket s : new Socket[] {client, server}) {
                if (s != null) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // already closed
                    }
                }
            }
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public String toString() {
            return "Link[" + id + ", client port " + clientPort() + ", server side port " + serverSidePort
                    + ", " + fault() + (open ? "" : ", closed") + "]";
        }
    }
}
