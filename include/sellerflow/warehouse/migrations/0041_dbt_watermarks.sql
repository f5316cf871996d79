-- When each incremental dbt model last ran (its transaction's start): the next run reads what landed after that,
-- less the overlap for loads that committed late (dbt var incremental_overlap_minutes). A watermark on the data's
-- own newest landing time would re-read the newest batch on every run until a newer one lands (a month's report
-- for a month); the run time moves on every run.
create table if not exists ops.dbt_watermarks (
    relation       text primary key,        -- schema.table of the model
    run_started_at timestamptz not null
);
