package dev.warden.internal.tx;

/**
 * Finds SQL that would end or restart the transaction from inside the work: a statement (of possibly
 * several separated by {@code ;}) that starts with COMMIT, END, ABORT, ROLLBACK (not ROLLBACK TO),
 * BEGIN, START or PREPARE TRANSACTION. Such SQL is refused before it is sent, because some of these
 * leave the connection inside a transaction ({@code COMMIT AND CHAIN}, {@code COMMIT; BEGIN}), and
 * then what ran before them would be committed while the work goes on and may still fail.
 * Quotes, dollar quotes, quoted identifiers and comments are skipped. One scan of the text, no
 * allocation unless a statement starts with a letter sequence worth reading.
 */
final class TransactionControl {

    private TransactionControl() {
    }

    /** The offending statement's first words, or null when the SQL does not end the transaction. */
    static String find(String sql) {
        int n = sql.length();
        int i = 0;
        boolean statementStart = true;
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                i = sql.indexOf('\n', i);
                if (i < 0) {
                    return null;
                }
                continue;
            }
            if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                i = skipBlockComment(sql, i);
                continue;
            }
            if (Character.isWhitespace(c) || c == '(') {
                i++;
                continue;
            }
            if (c == ';') {
                statementStart = true;
                i++;
                continue;
            }
            if (statementStart && Character.isLetter(c)) {
                int end = wordEnd(sql, i);
                String found = check(sql, i, end);
                if (found != null) {
                    return found;
                }
                if (is(sql, i, end, "create")) {
                    // a function body in BEGIN ATOMIC … END holds ';' and END of its own
                    return null;
                }
                statementStart = false;
                i = end;
                continue;
            }
            statementStart = false;
            if (c == '\'') {
                boolean backslash = i > 0 && (sql.charAt(i - 1) == 'e' || sql.charAt(i - 1) == 'E');
                i = skipQuoted(sql, i, '\'', backslash);
            } else if (c == '"') {
                i = skipQuoted(sql, i, '"', false);
            } else if (c == '$' && !(i > 0 && (Character.isLetterOrDigit(sql.charAt(i - 1)) || sql.charAt(i - 1) == '_'))) {
                i = skipDollar(sql, i);
            } else {
                i++;
            }
        }
        return null;
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
        int next = from + (to - from);
        while (next < sql.length() && Character.isWhitespace(sql.charAt(next))) {
            next++;
        }
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

    private static int wordEnd(String sql, int i) {
        int j = i;
        while (j < sql.length() && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
            j++;
        }
        return j;
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
        while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
            j++;
        }
        if (j >= n || sql.charAt(j) != '$' || (j > i + 1 && Character.isDigit(sql.charAt(i + 1)))) {
            return i + 1; // $1 parameter or a lone $
        }
        String tag = sql.substring(i, j + 1);
        int close = sql.indexOf(tag, j + 1);
        return close < 0 ? n : close + tag.length();
    }
}
