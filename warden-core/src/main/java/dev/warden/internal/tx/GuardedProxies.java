package dev.warden.internal.tx;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;

/**
 * Wrappers of the rarely used JDBC objects of the work's connection (callable statements, metadata)
 * as dynamic proxies: their {@code getConnection()} returns the guarded connection; everything else
 * goes to the driver. The hot objects (statements, prepared statements, result sets) have plain
 * classes instead ({@link TxStatement}), free of reflection and boxing.
 */
final class GuardedProxies {

    private GuardedProxies() {
    }

    static CallableStatement callable(CallableStatement delegate, TxConnection connection) {
        if (delegate == null) {
            return null;
        }
        CallableStatement[] self = new CallableStatement[1];
        InvocationHandler h = (proxy, m, args) -> {
            switch (m.getName()) {
                case "getConnection":
                    if (m.getParameterCount() == 0) {
                        return connection;
                    }
                    break;
                case "unwrap":
                    return ((Class<?>) args[0]).isInstance(proxy) ? proxy : delegate.unwrap((Class<?>) args[0]);
                case "isWrapperFor":
                    return ((Class<?>) args[0]).isInstance(proxy) || delegate.isWrapperFor((Class<?>) args[0]);
                default:
                    break;
            }
            Object result = invoke(delegate, m, args);
            if (m.getName().startsWith("execute")) {
                connection.executed();
            }
            if (result instanceof ResultSet rs && m.getReturnType() == ResultSet.class) {
                return new TxResultSet(rs, self[0]);
            }
            return result;
        };
        self[0] = (CallableStatement) Proxy.newProxyInstance(GuardedProxies.class.getClassLoader(),
                new Class<?>[] {CallableStatement.class}, h);
        return self[0];
    }

    static DatabaseMetaData metaData(DatabaseMetaData delegate, TxConnection connection) {
        if (delegate == null) {
            return null;
        }
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getName().equals("getConnection") && m.getParameterCount() == 0) {
                return connection;
            }
            if (m.getName().equals("unwrap")) {
                return ((Class<?>) args[0]).isInstance(proxy) ? proxy : delegate.unwrap((Class<?>) args[0]);
            }
            if (m.getName().equals("isWrapperFor")) {
                return ((Class<?>) args[0]).isInstance(proxy) || delegate.isWrapperFor((Class<?>) args[0]);
            }
            return invoke(delegate, m, args);
        };
        return (DatabaseMetaData) Proxy.newProxyInstance(GuardedProxies.class.getClassLoader(),
                new Class<?>[] {DatabaseMetaData.class}, h);
    }

    private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
