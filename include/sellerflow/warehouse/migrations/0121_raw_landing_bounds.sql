-- A cheap lower bound for what an incremental staging model must re-read from raw (dbt macro latest_version).
--   oldest_xact_start: the start of the oldest transaction open in this database when the model's run took its
--                      snapshot (pg_stat_activity.xact_start, its own included). A raw row that run could not see
--                      was written by a transaction open then or begun later, and a loader's row carries its
--                      transaction's start (extracted_at default now()), so it has extracted_at >= this.
--   BRIN index on raw.*.extracted_at: raw is append-only in landing order, so a few block ranges hold the rows
--                      of a cycle; the next run reads those instead of the whole heap (which grows forever).
alter table ops.dbt_watermarks add column if not exists oldest_xact_start timestamptz;

do $$
declare
    t text;
    index_name text;
begin
    for t in
        select c.table_name from information_schema.columns c
        join information_schema.tables tb using (table_schema, table_name)
        where c.table_schema = 'raw' and c.column_name = 'extracted_at' and tb.table_type = 'BASE TABLE'
    loop
        -- the name sellerflow.warehouse.loader._index_name gives new raw tables
        index_name := t || '_extracted_brin';
        if length(index_name) > 63 then
            index_name := left(t, 63 - length('extracted_brin') - 10) || '_'
                || left(encode(sha256(convert_to(t, 'UTF8')), 'hex'), 8) || '_extracted_brin';
        end if;
        execute format('create index if not exists %I on raw.%I using brin (extracted_at)', index_name, t);
    end loop;
end
$$;
