create table big (n int);
insert into big select generate_series(1, 400);
-- Slow on purpose: 20 ms per row makes the index build below last about 8 s.
create function slow_key(n int) returns int language plpgsql immutable as $$
begin
    perform pg_sleep(0.02);
    return n;
end $$;
