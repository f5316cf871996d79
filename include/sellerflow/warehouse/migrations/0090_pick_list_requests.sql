-- Pick lists → reverse-ETL: whether a finished posting's «assembled» request reached the reverse-ETL
-- (sellerflow.reverse_etl.statuses.request_assembled). Finishing a list asks at once; a request that could not
-- be made (no reverse-ETL settings for the cabinet yet, the function not installed) is asked again by the
-- build_pick_lists DAG until it is taken.
alter table ops.pick_list_orders add column if not exists requested_at timestamptz;
alter table ops.pick_list_orders add column if not exists request_result jsonb;

create index if not exists pick_list_orders_unrequested on ops.pick_list_orders (assembled_at)
    where assembled_at is not null and requested_at is null and struck_at is null;
