-- The newest raw row id a suite saw: a suite whose table has not changed since a passing run is not run again
-- (the 10-minute cycle re-validated every raw table in full, most of them unchanged).
alter table ops.quality_results add column if not exists last_id bigint;
