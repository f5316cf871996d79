-- Verdicts of the Great Expectations suites that Airflow tasks run on raw landings and marts.
create table if not exists ops.quality_results (
    id             bigserial   primary key,
    suite          text        not null,
    run_id         text        not null,
    success        boolean     not null,
    evaluated      integer     not null,
    failed         jsonb       not null default '[]',
    rows_checked   bigint      not null default 0,
    checked_at     timestamptz not null default now()
);

create index if not exists quality_results_suite_idx on ops.quality_results (suite, checked_at desc);

comment on table ops.quality_results is 'One row per data-quality suite run: verdict, expectations evaluated, what failed.';
