create table seed_run (id bigserial primary key, epoch text not null, owner text not null);
