-- One row per loader call: what arrived and what happened to it (demo summary, freshness checks).
create table if not exists ops.load_runs (
    id           bigserial   primary key,
    source       text        not null,
    entity       text        not null,
    account_id   text        not null,
    run_id       text        not null,
    status       text        not null default 'running'
                 check (status in ('running', 'succeeded', 'failed')),
    received     bigint      not null default 0,
    inserted     bigint      not null default 0,
    unchanged    bigint      not null default 0,
    quarantined  bigint      not null default 0,
    error        text,
    started_at   timestamptz not null default clock_timestamp(),
    finished_at  timestamptz
);

create index if not exists load_runs_source_entity_account_idx
    on ops.load_runs (source, entity, account_id, started_at desc);

-- Latest successful load per raw table and account: what the freshness check and the demo summary read.
create or replace view ops.latest_loads as
select distinct on (source, entity, account_id)
    source, entity, account_id, run_id, received, inserted, unchanged, quarantined, started_at, finished_at
from ops.load_runs
where status = 'succeeded'
order by source, entity, account_id, finished_at desc;

comment on table ops.load_runs is 'One row per raw loader call with its counts.';
