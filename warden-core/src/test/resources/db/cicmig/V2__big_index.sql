create index concurrently big_slow_key_idx on big (slow_key(n));
