-- The three warehouse schemas the loaders write to; dbt creates its own (staging, intermediate, marts).
create schema if not exists raw;
create schema if not exists ops;
create schema if not exists quarantine;

comment on schema raw is 'Append-only vendor payloads, one table per (source, entity), created by the loader.';
comment on schema ops is 'Operational state: sync watermarks, load runs, outbox, pick lists.';
comment on schema quarantine is 'Records that failed validation, with the reason; nothing is dropped silently.';
