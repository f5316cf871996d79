-- Shared token buckets of the marketplace clients: one row per (source, account, vendor method group),
-- taken with SELECT ... FOR UPDATE by every worker process (sellerflow.sources.ratelimit).
create table if not exists ops.rate_limit_buckets (
    source         text             not null,
    account_id     text             not null,
    method_group   text             not null,
    tokens         double precision not null,
    refilled_at    timestamptz      not null default clock_timestamp(),
    blocked_until  timestamptz,
    calls          bigint           not null default 0,
    refusals       bigint           not null default 0,
    primary key (source, account_id, method_group)
);

comment on table ops.rate_limit_buckets is
    'Rate-limit token buckets per (source, account_id, method_group), shared by all Airflow workers.';
