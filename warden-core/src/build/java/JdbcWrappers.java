import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Generates, at build time, the plain delegation of the JDBC objects that Warden hands to a unit of
 * work (run by Maven in generate-sources: {@code java JdbcWrappers.java <output dir>}). Every method of
 * the interface goes to the driver's object, except what these rules change:
 * <ul>
 * <li>{@code getConnection()} of a statement or metadata returns the guarded connection, and
 * {@code getStatement()} of a result set returns the guarded statement;</li>
 * <li>SQL given to {@code execute…}, {@code addBatch} and {@code prepare…} is checked first (a COMMIT or
 * ROLLBACK sent as SQL is refused before it is sent), and after every {@code execute…} the connection
 * checks that the statement did not end the transaction;</li>
 * <li>result sets, statements and metadata that come back are wrapped the same way (a metadata
 * query's result set too: its {@code getStatement()} is the driver's statement, wrapped);</li>
 * <li>{@code unwrap}/{@code isWrapperFor} see the wrapper first.</li>
 * </ul>
 * The connection's own behaviour is hand-written in {@code TxConnection} (Warden's own transactions:
 * commit refused, auto-commit kept off, …) and {@code ManagedConnection} (a transaction another
 * manager runs on Warden's pool), which extend the generated {@code GuardedConnectionBase}.
 */
public final class JdbcWrappers {

    private static final String PKG = "dev.warden.internal.tx";

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]).resolve(PKG.replace('.', '/'));
        Files.createDirectories(dir);
        write(dir, "GuardedStatement", statement(Statement.class, "GuardedStatement"));
        write(dir, "GuardedPreparedStatement", statement(PreparedStatement.class, "GuardedPreparedStatement"));
        write(dir, "GuardedCallableStatement", statement(CallableStatement.class, "GuardedCallableStatement"));
        write(dir, "GuardedResultSet", resultSet());
        write(dir, "GuardedMetaData", metaData());
        write(dir, "GuardedConnectionBase", connectionBase());
    }

    private static void write(Path dir, String name, String source) throws IOException {
        Path file = dir.resolve(name + ".java");
        if (!Files.exists(file) || !Files.readString(file).equals(source)) {
            Files.writeString(file, source);
        }
    }

    private static String statement(Class<?> iface, String name) {
        StringBuilder b = header(name, iface, "statement of the work's connection");
        b.append("    final ").append(iface.getSimpleName()).append(" delegate;\n");
        b.append("    final GuardedConnectionBase connection;\n\n");
        b.append("    ").append(name).append("(").append(iface.getSimpleName())
                .append(" delegate, GuardedConnectionBase connection) {\n        this.delegate = delegate;\n")
                .append("        this.connection = connection;\n    }\n");
        for (Method m : methods(iface)) {
            String body;
            if (m.getName().equals("getConnection") && m.getParameterCount() == 0) {
                body = "return connection;";
            } else {
                boolean execute = m.getName().startsWith("execute");
                boolean checkSql = (execute || m.getName().equals("addBatch")) && firstIsString(m);
                String call = "delegate." + m.getName() + "(" + argList(m, checkSql) + ")";
                body = wrapped(m, call, execute ? "connection.executed();" : null, "this");
            }
            b.append(method(m, body));
        }
        return b.append("}\n").toString();
    }

    private static String resultSet() {
        StringBuilder b = header("GuardedResultSet", ResultSet.class, "result set of a statement of the work");
        b.append("    final ResultSet delegate;\n    final Statement statement;\n\n");
        b.append("    GuardedResultSet(ResultSet delegate, Statement statement) {\n")
                .append("        this.delegate = delegate;\n        this.statement = statement;\n    }\n");
        for (Method m : methods(ResultSet.class)) {
            String body = m.getName().equals("getStatement") && m.getParameterCount() == 0 ? "return statement;"
                    : plain(m, "delegate." + m.getName() + "(" + argList(m, false) + ")");
            b.append(method(m, body));
        }
        return b.append("}\n").toString();
    }

    private static String metaData() {
        StringBuilder b = header("GuardedMetaData", DatabaseMetaData.class, "metadata of the work's connection");
        b.append("    final DatabaseMetaData delegate;\n    final GuardedConnectionBase connection;\n\n");
        b.append("    GuardedMetaData(DatabaseMetaData delegate, GuardedConnectionBase connection) {\n")
                .append("        this.delegate = delegate;\n        this.connection = connection;\n    }\n");
        for (Method m : methods(DatabaseMetaData.class)) {
            String call = "delegate." + m.getName() + "(" + argList(m, false) + ")";
            String body;
            if (m.getName().equals("getConnection") && m.getParameterCount() == 0) {
                body = "return connection;";
            } else if (m.getReturnType() == ResultSet.class) {
                // the driver's (or pool's) statement behind a metadata query leads to its connection
                body = "java.sql.ResultSet r = " + call + ";\n        return r == null ? null : new GuardedResultSet(r,"
                        + " guarded(r.getStatement()));";
            } else {
                body = plain(m, call);
            }
            b.append(method(m, body));
        }
        b.append("\n    /** The statement behind a metadata result set, wrapped so that it leads back to the work's connection. */\n")
                .append("    private Statement guarded(Statement s) {\n")
                .append("        return s == null ? null : new GuardedStatement(s, connection);\n    }\n");
        return b.append("}\n").toString();
    }

    private static String connectionBase() {
        StringBuilder b = new StringBuilder(preamble());
        b.append("/**\n * The work's connection, generated by {@code src/build/java/JdbcWrappers.java}: every method goes to\n")
                .append(" * the driver's connection; statements and metadata come back guarded and SQL given to\n")
                .append(" * {@code prepare…} is checked first. {@link TxConnection} (Warden's own transactions) and\n")
                .append(" * {@link ManagedConnection} (transactions of another manager on Warden's pool) override what\n")
                .append(" * changes.\n */\n")
                .append("@SuppressWarnings({\"deprecation\", \"removal\"})\n")
                .append("abstract class GuardedConnectionBase implements Connection {\n\n")
                .append("    final Connection delegate;\n\n")
                .append("    GuardedConnectionBase(Connection delegate) {\n        this.delegate = delegate;\n    }\n\n")
                .append("    /** This connection, as the statements it makes hold it. */\n")
                .append("    abstract GuardedConnectionBase self();\n\n")
                .append("    /** The SQL, or an exception when it would end the transaction. */\n")
                .append("    abstract String checked(String sql);\n\n")
                .append("    /** Called after each statement ran: throws when it ended the transaction. */\n")
                .append("    abstract void executed();\n");
        for (Method m : methods(Connection.class)) {
            boolean checkSql = m.getName().startsWith("prepare") && firstIsString(m);
            b.append(method(m, wrapped(m, "delegate." + m.getName() + "(" + argList(m, checkSql) + ")", null,
                    "self()")));
        }
        return b.append("}\n").toString();
    }

    private static StringBuilder header(String name, Class<?> iface, String what) {
        StringBuilder b = new StringBuilder(preamble());
        b.append("/**\n * A ").append(what).append(", generated by {@code src/build/java/JdbcWrappers.java}: plain\n")
                .append(" * delegation, except {@code getConnection()}/{@code getStatement()}, the SQL check and the\n")
                .append(" * after-execute check, and the wrapping of what comes back.\n */\n")
                .append("@SuppressWarnings({\"deprecation\", \"removal\"})\n")
                .append("final class ").append(name).append(" implements ").append(iface.getSimpleName()).append(" {\n\n");
        return b;
    }

    private static String preamble() {
        return "// Generated at build time by src/build/java/JdbcWrappers.java; do not edit.\npackage " + PKG
                + ";\n\nimport java.sql.*;\n\n";
    }

    /** The call, with what comes back wrapped and {@code after} run once it returned. */
    private static String wrapped(Method m, String call, String after, String owner) {
        Class<?> r = m.getReturnType();
        String wrap = null;
        if (r == ResultSet.class) {
            wrap = "r == null ? null : new GuardedResultSet(r, " + (owner.equals("self()") ? "null" : owner) + ")";
        } else if (r == CallableStatement.class) {
            wrap = "r == null ? null : new GuardedCallableStatement(r, " + owner + ")";
        } else if (r == PreparedStatement.class) {
            wrap = "r == null ? null : new GuardedPreparedStatement(r, " + owner + ")";
        } else if (r == Statement.class) {
            wrap = "r == null ? null : new GuardedStatement(r, " + owner + ")";
        } else if (r == DatabaseMetaData.class) {
            wrap = "r == null ? null : new GuardedMetaData(r, " + owner + ")";
        }
        if (m.getName().equals("unwrap")) {
            return "return iface.isInstance(this) ? iface.cast(this) : delegate.unwrap(iface);";
        }
        if (m.getName().equals("isWrapperFor")) {
            return "return iface.isInstance(this) || delegate.isWrapperFor(iface);";
        }
        if (wrap == null && after == null) {
            return plain(m, call);
        }
        StringBuilder s = new StringBuilder();
        if (r == void.class) {
            s.append(call).append(";");
            if (after != null) {
                s.append("\n        ").append(after);
            }
            return s.toString();
        }
        s.append(type(m.getGenericReturnType())).append(" r = ").append(call).append(";");
        if (after != null) {
            s.append("\n        ").append(after);
        }
        return s.append("\n        return ").append(wrap == null ? "r" : wrap).append(";").toString();
    }

    private static String plain(Method m, String call) {
        if (m.getName().equals("unwrap")) {
            return "return iface.isInstance(this) ? iface.cast(this) : delegate.unwrap(iface);";
        }
        if (m.getName().equals("isWrapperFor")) {
            return "return iface.isInstance(this) || delegate.isWrapperFor(iface);";
        }
        return (m.getReturnType() == void.class ? "" : "return ") + call + ";";
    }

    private static String method(Method m, String body) {
        StringBuilder b = new StringBuilder("\n    @Override\n    public ");
        TypeVariable<Method>[] tv = m.getTypeParameters();
        if (tv.length > 0) {
            b.append(Arrays.stream(tv).map(TypeVariable::getName).collect(Collectors.joining(", ", "<", "> ")));
        }
        b.append(type(m.getGenericReturnType())).append(' ').append(m.getName()).append('(');
        Type[] params = m.getGenericParameterTypes();
        for (int i = 0; i < params.length; i++) {
            b.append(i == 0 ? "" : ", ").append(type(params[i])).append(' ').append(paramName(m, i));
        }
        b.append(')');
        if (m.getExceptionTypes().length > 0) {
            b.append(Arrays.stream(m.getExceptionTypes()).map(Class::getName)
                    .collect(Collectors.joining(", ", " throws ", "")));
        }
        return b.append(" {\n        ").append(body).append("\n    }\n").toString();
    }

    private static String paramName(Method m, int i) {
        boolean wrapperMethod = (m.getName().equals("unwrap") || m.getName().equals("isWrapperFor")) && i == 0;
        return wrapperMethod ? "iface" : "a" + i;
    }

    private static String argList(Method m, boolean checkFirst) {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < m.getParameterCount(); i++) {
            String n = paramName(m, i);
            args.add(i == 0 && checkFirst ? (m.getDeclaringClass() == Connection.class ? "checked(" + n + ")"
                    : "connection.checked(" + n + ")") : n);
        }
        return String.join(", ", args);
    }

    private static boolean firstIsString(Method m) {
        return m.getParameterCount() > 0 && m.getParameterTypes()[0] == String.class;
    }

    private static String type(Type t) {
        return t.getTypeName().replace('$', '.');
    }

    /** Every instance method of the interface (inherited and default ones too), one per signature, in a stable order. */
    private static List<Method> methods(Class<?> iface) {
        Map<String, Method> bySignature = new LinkedHashMap<>();
        for (Method m : iface.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String sig = m.getName() + Arrays.toString(m.getParameterTypes());
            Method seen = bySignature.get(sig);
            if (seen == null || seen.getReturnType().isAssignableFrom(m.getReturnType())) {
                bySignature.put(sig, m);
            }
        }
        List<Method> out = new ArrayList<>(bySignature.values());
        out.sort(Comparator.comparing(Method::getName).thenComparing(m -> Arrays.toString(m.getParameterTypes())));
        return out;
    }
}
