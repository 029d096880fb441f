package dev.warden.example.jpa;

import jakarta.persistence.EntityManager;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The library's units of work: JPA, and JDBC in the same transaction where a report needs it. */
@Service
public class Library {

    private final BookRepository books;
    private final JdbcClient jdbc;
    private final EntityManager em;

    public Library(BookRepository books, JdbcClient jdbc, EntityManager em) {
        this.books = books;
        this.jdbc = jdbc;
        this.em = em;
    }

    /** How many copies of a book are on the shelf. */
    @Transactional(readOnly = true)
    public int copies(String title) {
        return books.findByTitle(title).map(Book::getCopies)
                .orElseThrow(() -> new IllegalArgumentException("No book " + title));
    }

    /** Adds a book. */
    @Transactional
    public Book add(String title, int copies) {
        return books.save(new Book(title, copies));
    }

    /** Lends a copy and records the loan with plain JDBC, in one transaction on one connection. */
    @Transactional
    public long lend(String title, String reader) {
        Book book = books.findByTitle(title).orElseThrow(() -> new IllegalArgumentException("No book " + title));
        book.lend();
        books.flush();
        jdbc.sql("insert into loan (book_id, reader) values (?, ?)").params(book.getId(), reader).update();
        // JDBC sees what JPA flushed: the same connection and transaction.
        return jdbc.sql("select copies from book where id = ?").param(book.getId()).query(Long.class).single();
    }

    /** Adds a book, then fails with a checked exception: nothing stays. */
    @Transactional
    public void addThenFail(String title) throws Exception {
        books.save(new Book(title, 1));
        books.flush();
        throw new Exception("the work failed after the insert");
    }

    /** The classic mistake: a failed statement's error caught inside the transaction. */
    @Transactional
    public void addSwallowingAFailure(String title) {
        books.save(new Book(title, 1));
        books.flush();
        try {
            jdbc.sql("insert into loan (book_id, reader) values (-1, 'nobody')").update(); // foreign key fails
        } catch (RuntimeException swallowed) {
            // the server has aborted the transaction now
        }
    }

    /**
     * The other classic mistake: SQL that ends the transaction in the middle of the work (a native query
     * here; a JdbcTemplate or any statement on the connection alike). Warden refuses it before it is sent.
     */
    @Transactional
    public void addThenSend(String title, String sql) {
        books.saveAndFlush(new Book(title, 1));
        em.createNativeQuery(sql).executeUpdate();
        books.saveAndFlush(new Book(title + " (second)", 1));
    }
}
