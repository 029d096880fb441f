alter table item add column note text;
