create table seed_run (
    id     bigserial primary key,
    epoch  text   not null,
    owner  text   not null,
    pid    bigint not null,
    rows   integer not null,
    at     timestamptz not null default clock_timestamp()
);
