-- Usernames are unique regardless of case ('BOB' cannot be registered beside 'bob'), and login
-- matches them regardless of case.
--
-- Existing data may hold names that differ only in case. The oldest account (lowest id) keeps its
-- name; each later one is renamed to '<name>~<id>' ('~' cannot appear in a name chosen at
-- registration, so the new name collides with nothing) and logs in with that name from now on.
update app_user u
   set username = u.username || '~' || u.id
 where exists (select 1 from app_user o where lower(o.username) = lower(u.username) and o.id < u.id);

create unique index app_user_username_lower on app_user (lower(username));
