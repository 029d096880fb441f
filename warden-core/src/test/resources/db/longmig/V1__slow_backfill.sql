-- One statement that runs several times WARDEN_INIT_IDLE_TIMEOUT (2 s in LongMigrationTest).
create table applied (n int, at timestamptz default clock_timestamp());
insert into applied (n) values (1);
select pg_sleep(8);
