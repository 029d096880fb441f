package dev.warden.drill;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.warden.Warden;
import dev.warden.WardenConfig;

/**
 * The two clients the side-by-side drills (matrix, Patroni, PgBouncer) compare on one server: Warden,
 * and a plain HikariCP pool of the same size on the same URL. Opened and closed together; Warden is
 * created but not started, so that a listener can be added before its first transition.
 *
 * @param warden Warden, not started
 * @param plain  the plain pool
 */
public record ClientPair(Warden warden, HikariDataSource plain) implements AutoCloseable {

    /** The plain pool's configuration: HikariCP's defaults but the URL, user and size, named {@code plain-hikari}. */
    public static HikariConfig plainConfig(String url, String user, int size) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername(user);
        hc.setMaximumPoolSize(size);
        hc.setPoolName("plain-hikari");
        return hc;
    }

    /** Creates Warden (not started) and opens the plain pool; closes Warden again if the pool cannot open. */
    public static ClientPair open(WardenConfig warden, HikariConfig plain) {
        Warden w = Warden.create(warden);
        try {
            return new ClientPair(w, new HikariDataSource(plain));
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** Closes the plain pool, then Warden. */
    @Override
    public void close() {
        try (Warden w = warden) {
            plain.close();
        }
    }
}
