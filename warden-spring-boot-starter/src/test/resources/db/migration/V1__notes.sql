create table note (id bigint primary key, body text not null unique);
