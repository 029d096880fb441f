package dev.warden.bench;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A row of the benchmarks' {@code item} table as a JPA entity ({@link SpringJpaManagerPaired}). */
@Entity
@Table(name = "item")
public class BenchItem {

    @Id
    private int id;

    private long n;

    protected BenchItem() {
    }

    /** One more. */
    void increment() {
        n++;
    }
}
