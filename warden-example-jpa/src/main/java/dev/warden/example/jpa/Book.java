package dev.warden.example.jpa;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A book of the library. */
@Entity
@Table(name = "book")
public class Book {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    private String title;

    private int copies;

    protected Book() {
    }

    public Book(String title, int copies) {
        this.title = title;
        this.copies = copies;
    }

    public Long getId() {
        return id;
    }

    public String getTitle() {
        return title;
    }

    public int getCopies() {
        return copies;
    }

    public void lend() {
        if (copies <= 0) {
            throw new IllegalStateException("No copy of '" + title + "' left");
        }
        copies--;
    }
}
