-- A session setting in a migration script, as migrations often have (a long backfill raising its
-- own statement timeout): on a direct connection it ends with the migration's connection; through
-- a transaction-mode pooler it stays on a server connection other clients share.
set statement_timeout = '4321s';
create table migrated (id int primary key);
