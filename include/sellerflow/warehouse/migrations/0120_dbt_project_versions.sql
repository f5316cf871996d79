-- Each version of the dbt project (a hash of its files) that a whole-project build built in this warehouse, and
-- when last: once the warehouse holds the current version, a transform cycle leaves out the views and seeds, which
-- change only with the project (sellerflow.orchestration.dbt_cycle).
create table if not exists ops.dbt_project_versions (
    project_version  text        primary key,
    first_built_at   timestamptz not null default clock_timestamp(),
    last_built_at    timestamptz not null default clock_timestamp()
);

comment on table ops.dbt_project_versions is
    'Versions of the dbt project (hash of its files) that a whole-project build built here; the transform cycle builds views and seeds only for a version not yet built.';
