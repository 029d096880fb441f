package dev.warden.example.spring;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** Test-only: Spring's propagation on Warden's transaction manager (NESTED savepoints, REQUIRES_NEW). */
@Service
class PropagationWork {

    /** The inner half, a separate bean so that its calls go through the transaction proxy. */
    @Service
    static class Ledger {
        private final JdbcClient jdbc;

        Ledger(JdbcClient jdbc) {
            this.jdbc = jdbc;
        }

        @Transactional(propagation = Propagation.NESTED)
        public void noteInSavepoint(long from, long to, long amount, String note) {
            jdbc.sql("insert into transfer (from_id, to_id, amount, note) values (?, ?, ?, ?)")
                    .params(from, to, amount, note).update();
        }

        @Transactional(propagation = Propagation.REQUIRES_NEW)
        public void noteInOwnTransaction(long from, long to, long amount, String note) {
            noteInSavepoint(from, to, amount, note);
        }
    }

    private final JdbcClient jdbc;
    private final Ledger ledger;

    PropagationWork(JdbcClient jdbc, Ledger ledger) {
        this.jdbc = jdbc;
        this.ledger = ledger;
    }

    /** Pays, then tries to note it: a duplicate note rolls back to the savepoint only. */
    @Transactional
    public boolean payNotingIfNew(long from, long to, long amount, String note) {
        jdbc.sql("update account set balance = balance - ? where id = ?").params(amount, from).update();
        jdbc.sql("update account set balance = balance + ? where id = ?").params(amount, to).update();
        try {
            ledger.noteInSavepoint(from, to, amount, note);
            return true;
        } catch (DataIntegrityViolationException duplicate) {
            return false;
        }
    }

    /** Notes in its own transaction, then fails: the note stays, the payment does not. */
    @Transactional
    public void payNotedThenFail(long from, long to, long amount, String note) {
        jdbc.sql("update account set balance = balance - ? where id = ?").params(amount, from).update();
        ledger.noteInOwnTransaction(from, to, amount, note);
        throw new IllegalStateException("after the note");
    }
}
