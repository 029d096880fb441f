-- The init drill's application schema: items written by the seeder, one seed_run row per seeding.
create table item (
    epoch text    not null,
    n     integer not null,
    label text    not null,
    primary key (epoch, n)
);
