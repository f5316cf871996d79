-- What an incremental dbt model's next run needs besides the run's start (dbt macro record_watermark, a pre-hook
-- in the model's own transaction, before the model reads anything):
--   snapshot_xmin: the oldest transaction still running when the run started (pg_snapshot_xmin). Every row the run
--                  could not see was written by a transaction with an id at or above it, so the next run of a
--                  staging model reads the raw rows written by such transactions (dbt macro latest_version): a
--                  load that commits late, out of order, is read however long it took.
--   cycle_since:   the landing time above which this run re-read the model's rows (its previous run's start less the
--                  overlap; null after a full build): the data tests of the cycle check only those rows (dbt macro
--                  get_where_subquery), the nightly run checks every row.
-- Existing rows keep nulls: a model without snapshot_xmin reads every raw key once more, then has one.
alter table ops.dbt_watermarks add column if not exists snapshot_xmin xid8;
alter table ops.dbt_watermarks add column if not exists cycle_since timestamptz;
