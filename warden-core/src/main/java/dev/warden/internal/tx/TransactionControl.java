package dev.warden.internal.tx;

/**
 * Finds SQL that would end or restart the transaction from inside the work: a statement (of possibly
 * several separated by {@code ;}) that starts with COMMIT, END, ABORT, ROLLBACK (not ROLLBACK TO),
 * BEGIN, START or PREPARE TRANSACTION. Such SQL is refused before it is sent, because some of these
 * leave the connection inside a transaction ({@code COMMIT AND CHAIN}, {@code COMMIT; BEGIN}), and
 * then what ran before them would be committed while the work goes on and may still fail.
 * Quotes, dollar quotes, quoted identifiers and comments are skipped as PostgreSQL's lexer skips them
 * (a scan that hides more than the server hides lets a COMMIT through). One scan of the text, no
 * allocation unless an offending statement is found; a text found harmless is remembered by identity
 * ({@link #find(String, boolean)}), so a constant SQL string is scanned once, not per statement.
 */
final class TransactionControl {

    /**
     * SQL texts the scan found harmless with standard-conforming strings, in slots by hash. A hit is
     * the same String object, whose characters cannot have changed, so the scan would find the same.
     * Written and read without a lock: a reference is written whole, a String's content is safely
     * published (final fields), and a slot seen stale or overwritten by another text is only a miss.
     */
    private static final String[] HARMLESS = new String[256];
    /** Longer texts are scanned each time: the cache must not keep large SQL alive. */
    private static final int MAX_REMEMBERED = 2048;

    /** What the words read of a statement's head make of it: a routine's definition, on its way to one, or neither. */
    private enum Head { OTHER, CREATE, CREATE_OR, CREATE_OR_REPLACE, ROUTINE }

    private TransactionControl() {
    }

    /** As {@link #find(String, boolean)} with standard-conforming strings (the server's default). */
    static String find(String sql) {
        return find(sql, true);
    }

    /**
     * The offending statement's first words, or null when the SQL does not end the transaction.
     * {@code standardStrings} is the server's {@code standard_conforming_strings}: off, a backslash
     * escapes the quote in every '…' string, not only in E'…' ones.
     *
     * <p>Statements are split as PostgreSQL's lexer splits them: a line comment ends at a newline or a
     * carriage return; E'…' is an E standing alone before the quote (in {@code name'…'} the quote
     * opens a standard string); a {@code ;} inside the {@code BEGIN ATOMIC … END} body of
     * {@code CREATE [OR REPLACE] FUNCTION|PROCEDURE} does not end the statement (CASE … END counted
     * inside, as psql does), and any other CREATE statement ends at its {@code ;}.
     */
    static String find(String sql, boolean standardStrings) {
        if (!standardStrings || sql.length() > MAX_REMEMBERED) {
            return scan(sql, standardStrings);
        }
        int h = sql.hashCode();
        int slot = (h ^ (h >>> 16)) & (HARMLESS.length - 1);
        if (HARMLESS[slot] == sql) {
            return null;
        }
        String found = scan(sql, true);
        if (found == null) {
            HARMLESS[slot] = sql;
        }
        return found;
    }

    private static String scan(String sql, boolean standardStrings) {
        int n = sql.length();
        int i = 0;
        boolean statementStart = true;
        Head head = Head.OTHER;
        int parens = 0;
        int atomic = 0; // depth of BEGIN ATOMIC (and CASE inside it) in a routine's body
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                i = lineEnd(sql, i);
                continue;
            }
            if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                i = skipBlockComment(sql, i);
                continue;
            }
            if (isSpace(c)) {
                i++;
                continue;
            }
            if (c == '(') {
                parens++;
                i++;
                continue;
            }
            if (c == ';' && atomic == 0) {
                statementStart = true;
                head = Head.OTHER;
                parens = 0;
                i++;
                continue;
            }
            if (isIdentStart(c)) {
                int end = wordEnd(sql, i);
                if (end == i + 1 && (c == 'e' || c == 'E') && end < n && sql.charAt(end) == '\'') {
                    statementStart = false;
                    i = skipQuoted(sql, end, '\'', true);
                    continue;
                }
                if (statementStart) {
                    String found = check(sql, i, end);
                    if (found != null) {
                        return found;
                    }
                    head = is(sql, i, end, "create") ? Head.CREATE : Head.OTHER;
                    statementStart = false;
                } else if (head == Head.ROUTINE) {
                    atomic = parens == 0 ? body(atomic, sql, i, end) : atomic;
                } else if (head != Head.OTHER) {
                    head = nextHead(head, sql, i, end);
                }
                i = end;
                continue;
            }
            statementStart = false;
            if (c == '\'') {
                i = skipQuoted(sql, i, '\'', !standardStrings);
            } else if (c == '"') {
                i = skipQuoted(sql, i, '"', false);
            } else if (c == '$' && !(i > 0 && isDigit(sql.charAt(i - 1)))) {
                i = skipDollar(sql, i);
            } else {
                if (c == ')' && parens > 0) {
                    parens--;
                }
                i++;
            }
        }
        return null;
    }

    /** The head of a CREATE statement after one more word: OR, REPLACE, FUNCTION or PROCEDURE, or not a routine. */
    private static Head nextHead(Head head, String sql, int from, int to) {
        boolean routine = is(sql, from, to, "function") || is(sql, from, to, "procedure");
        return switch (head) {
            case CREATE -> routine ? Head.ROUTINE : is(sql, from, to, "or") ? Head.CREATE_OR : Head.OTHER;
            case CREATE_OR -> is(sql, from, to, "replace") ? Head.CREATE_OR_REPLACE : Head.OTHER;
            case CREATE_OR_REPLACE -> routine ? Head.ROUTINE : Head.OTHER;
            default -> Head.OTHER;
        };
    }

    /** The BEGIN ATOMIC depth after a word of a routine's definition (outside parentheses). */
    private static int body(int atomic, String sql, int from, int to) {
        if (is(sql, from, to, "begin")) {
            int next = skipSpace(sql, to);
            return is(sql, next, wordEnd(sql, next), "atomic") ? atomic + 1 : atomic;
        }
        if (is(sql, from, to, "case")) {
            return atomic > 0 ? atomic + 1 : atomic;
        }
        if (is(sql, from, to, "end")) {
            return atomic > 0 ? atomic - 1 : atomic;
        }
        return atomic;
    }

    /** The words that end the transaction, read in place: nothing is allocated unless one is found. */
    private static String check(String sql, int from, int to) {
        if (is(sql, from, to, "commit") || is(sql, from, to, "end") || is(sql, from, to, "abort")
                || is(sql, from, to, "begin")) {
            return sql.substring(from, to);
        }
        boolean rollback = is(sql, from, to, "rollback");
        if (!rollback && !is(sql, from, to, "start") && !is(sql, from, to, "prepare")) {
            return null;
        }
        int next = skipSpace(sql, to);
        int nextEnd = wordEnd(sql, next);
        if (rollback) {
            return is(sql, next, nextEnd, "to") ? null : sql.substring(from, to);
        }
        return is(sql, next, nextEnd, "transaction") ? sql.substring(from, to) + " " + sql.substring(next, nextEnd) : null;
    }

    /** True when {@code sql[from, to)} is {@code word}, in any case. */
    private static boolean is(String sql, int from, int to, String word) {
        return to - from == word.length() && sql.regionMatches(true, from, word, 0, word.length());
    }

    /** The end of an identifier or keyword: letters, digits, {@code _} and {@code $}, as PostgreSQL reads them. */
    private static int wordEnd(String sql, int i) {
        int j = i;
        while (j < sql.length() && (isIdentStart(sql.charAt(j)) || isDigit(sql.charAt(j)) || sql.charAt(j) == '$')) {
            j++;
        }
        return j;
    }

    /** PostgreSQL's white space (its lexer knows no other). */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000B';
    }

    /** A character that starts an identifier for PostgreSQL (and pgjdbc): ASCII letters, {@code _}, anything past ASCII. */
    private static boolean isIdentStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c > 127;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Past white space and comments (which separate words as white space does). */
    private static int skipSpace(String sql, int i) {
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (isSpace(c)) {
                i++;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                i = lineEnd(sql, i);
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                i = skipBlockComment(sql, i);
            } else {
                return i;
            }
        }
        return n;
    }

    /** The end of a {@code --} comment: PostgreSQL ends it at a newline or a carriage return. */
    private static int lineEnd(String sql, int i) {
        int n = sql.length();
        while (i < n && sql.charAt(i) != '\n' && sql.charAt(i) != '\r') {
            i++;
        }
        return i;
    }

    private static int skipBlockComment(String sql, int i) {
        int depth = 0;
        int n = sql.length();
        while (i < n) {
            if (sql.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (sql.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return n;
    }

    private static int skipQuoted(String sql, int i, char quote, boolean backslash) {
        int n = sql.length();
        i++;
        while (i < n) {
            char c = sql.charAt(i);
            if (backslash && c == '\\') {
                i += 2;
                continue;
            }
            if (c == quote) {
                if (i + 1 < n && sql.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return n;
    }

    private static int skipDollar(String sql, int i) {
        int n = sql.length();
        int j = i + 1;
        while (j < n && (isIdentStart(sql.charAt(j)) || isDigit(sql.charAt(j)))) {
            j++;
        }
        if (j >= n || sql.charAt(j) != '$' || (j > i + 1 && isDigit(sql.charAt(i + 1)))) {
            return i + 1; // $1 parameter or a lone $
        }
        String tag = sql.substring(i, j + 1);
        int close = sql.indexOf(tag, j + 1);
        return close < 0 ? n : close + tag.length();
    }
}
