create table account (
    id      bigint primary key,
    owner   text   not null,
    balance bigint not null check (balance >= 0)
);

create table transfer (
    id      bigserial primary key,
    from_id bigint not null references account (id),
    to_id   bigint not null references account (id),
    amount  bigint not null check (amount > 0),
    note    text   unique,
    at      timestamptz not null default now()
);
