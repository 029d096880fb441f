create table book (
    id     bigint generated always as identity primary key,
    title  text not null unique,
    copies int  not null check (copies >= 0)
);

create table loan (
    id      bigint generated always as identity primary key,
    book_id bigint not null references book (id),
    reader  text   not null
);
