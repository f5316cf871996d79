-- One row per whole-project `dbt build` (the on-run-end hook record_build): when it started and whether every
-- node passed. The transform's gate (sellerflow.orchestration.transform_gate) skips an asset-triggered build
-- when no load finished after the start of the last build that succeeded.
create table if not exists ops.dbt_builds (
    invocation_id  text        primary key,
    started_at     timestamptz not null,
    finished_at    timestamptz not null default clock_timestamp(),
    succeeded      boolean     not null
);

create index if not exists dbt_builds_succeeded_started_idx on ops.dbt_builds (started_at desc) where succeeded;

comment on table ops.dbt_builds is 'One row per whole-project dbt build: its start and whether every node passed.';
