package dev.warden.internal.tx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every method of every JDBC interface Warden wraps reaches the driver's object with the same
 * arguments, except the few that Warden changes on purpose (listed here, each checked for what it
 * does instead). The delegation is generated at build time; this test fails when a method is missed
 * or routed to the wrong one.
 */
class JdbcDelegationTest {

    /** A driver object that records every call and answers with nothing. */
    private static final class Recorder {
        final List<String> calls = new ArrayList<>();

        @SuppressWarnings("unchecked")
        <T> T of(Class<T> iface) {
            return (T) Proxy.newProxyInstance(iface.getClassLoader(), new Class<?>[] {iface}, (p, m, args) -> {
                calls.add(signature(m));
                return defaultValue(m.getReturnType());
            });
        }
    }

    private static final Set<String> CONNECTION_OWNED = Set.of("setAutoCommit", "commit", "rollback()", "close",
            "setReadOnly", "setTransactionIsolation", "abort", "unwrap", "isWrapperFor");

    @Test
    void everyConnectionMethodIsDelegatedButThoseWardenOwns() throws Exception {
        Recorder driver = new Recorder();
        TxConnection c = new TxConnection(driver.of(Connection.class), null);
        int checked = 0;
        for (Method m : Connection.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String sig = signature(m);
            if (CONNECTION_OWNED.contains(m.getName()) || CONNECTION_OWNED.contains(m.getName() + "()")
                    && m.getParameterCount() == 0) {
                if (!m.getName().equals("unwrap") && !m.getName().equals("isWrapperFor")) {
                    driver.calls.clear();
                    try {
                        m.invoke(c, args(m));
                    } catch (InvocationTargetException e) {
                        assertThat(e.getCause()).as(sig).isInstanceOf(IllegalStateException.class)
                                .hasMessageContaining("not allowed inside a Warden transaction");
                    }
                    assertThat(driver.calls).as("%s must not reach the driver", sig).isEmpty();
                }
                continue;
            }
            driver.calls.clear();
            m.invoke(c, args(m));
            assertThat(driver.calls).as(sig).containsExactly(sig);
            checked++;
        }
        assertThat(checked).isGreaterThan(40);
    }

    @Test
    void everyStatementMethodIsDelegatedAndExecutionsAreChecked() throws Exception {
        for (Class<?> iface : List.of(Statement.class, PreparedStatement.class, CallableStatement.class)) {
            Recorder driver = new Recorder();
            TxConnection c = new TxConnection(new Recorder().of(Connection.class), null);
            Object wrapper = wrapper(iface, driver, c);
            for (Method m : iface.getMethods()) {
                if (Modifier.isStatic(m.getModifiers()) || m.getName().equals("unwrap")
                        || m.getName().equals("isWrapperFor")) {
                    continue;
                }
                driver.calls.clear();
                Object result = m.invoke(wrapper, args(m));
                if (m.getName().equals("getConnection")) {
                    assertThat(result).as("%s.getConnection() is the guarded connection", iface.getSimpleName())
                            .isSameAs(c);
                    assertThat(driver.calls).isEmpty();
                } else {
                    assertThat(driver.calls).as("%s.%s", iface.getSimpleName(), signature(m))
                            .containsExactly(signature(m));
                }
            }
            assertThat(((Statement) wrapper).unwrap(Statement.class)).isSameAs(wrapper);
        }
    }

    @Test
    void sqlThatEndsTheTransactionIsRefusedBeforeItIsSentByEveryPath() throws Exception {
        Recorder driver = new Recorder();
        TxConnection c = new TxConnection(driver.of(Connection.class), null);
        assertThatThrownBy(() -> c.prepareStatement("commit")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> c.prepareCall("rollback")).isInstanceOf(IllegalStateException.class);
        Statement st = new GuardedStatement(new Recorder().of(Statement.class), c);
        assertThatThrownBy(() -> st.execute("commit and chain")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> st.addBatch("end")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> st.executeLargeUpdate("select 1; begin", new int[0]))
                .isInstanceOf(IllegalStateException.class);
        assertThat(driver.calls).isEmpty();
    }

    @Test
    void resultSetsAndMetadataPointBackToTheWrappers() throws Exception {
        Recorder driver = new Recorder();
        TxConnection c = new TxConnection(driver.of(Connection.class), null);
        Statement st = new GuardedStatement(new Recorder().of(Statement.class), c);
        ResultSet rs = new GuardedResultSet(driver.of(ResultSet.class), st);
        for (Method m : ResultSet.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.getName().equals("unwrap") || m.getName().equals("isWrapperFor")) {
                continue;
            }
            driver.calls.clear();
            Object result = m.invoke(rs, args(m));
            if (m.getName().equals("getStatement")) {
                assertThat(result).isSameAs(st);
            } else {
                assertThat(driver.calls).as(signature(m)).containsExactly(signature(m));
            }
        }
        DatabaseMetaData md = new GuardedMetaData(driver.of(DatabaseMetaData.class), c);
        assertThat(md.getConnection()).isSameAs(c);
        int delegated = 0;
        for (Method m : DatabaseMetaData.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.getName().equals("getConnection")
                    || m.getName().equals("unwrap") || m.getName().equals("isWrapperFor")) {
                continue;
            }
            driver.calls.clear();
            m.invoke(md, args(m));
            assertThat(driver.calls).as(signature(m)).containsExactly(signature(m));
            delegated++;
        }
        assertThat(delegated).isGreaterThan(150);
    }

    private static Object wrapper(Class<?> iface, Recorder driver, TxConnection c) {
        if (iface == Statement.class) {
            return new GuardedStatement(driver.of(Statement.class), c);
        }
        if (iface == PreparedStatement.class) {
            return new GuardedPreparedStatement(driver.of(PreparedStatement.class), c);
        }
        return new GuardedCallableStatement(driver.of(CallableStatement.class), c);
    }

    private static String signature(Method m) {
        StringBuilder s = new StringBuilder(m.getName()).append('(');
        for (Class<?> p : m.getParameterTypes()) {
            s.append(p.getSimpleName()).append(',');
        }
        return s.append(')').toString();
    }

    private static Object[] args(Method m) {
        Class<?>[] types = m.getParameterTypes();
        Object[] a = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            a[i] = types[i] == String.class ? "select 1" : defaultValue(types[i]);
        }
        return a;
    }

    private static Object defaultValue(Class<?> t) {
        if (!t.isPrimitive() || t == void.class) {
            return null;
        }
        if (t == boolean.class) {
            return false;
        }
        if (t == char.class) {
            return '\0';
        }
        if (t == long.class) {
            return 0L;
        }
        if (t == float.class) {
            return 0f;
        }
        if (t == double.class) {
            return 0d;
        }
        if (t == byte.class) {
            return (byte) 0;
        }
        if (t == short.class) {
            return (short) 0;
        }
        return 0;
    }
}
