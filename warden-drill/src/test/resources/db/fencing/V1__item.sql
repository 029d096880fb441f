-- Like db/drill, without the primary key on item: a stale holder's uncommitted rows must not make
-- the taker wait, so that the stale holder reaches its commit and meets the fencing token there.
create table item (
    epoch text    not null,
    n     integer not null,
    label text    not null
);
create table seed_run (
    id     bigserial primary key,
    epoch  text   not null,
    owner  text   not null,
    pid    bigint not null,
    rows   integer not null,
    at     timestamptz not null default clock_timestamp()
);
