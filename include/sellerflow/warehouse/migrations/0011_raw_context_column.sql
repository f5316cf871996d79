-- Raw and quarantine tables made before the loader stored sellerflow's metadata beside the payload get the
-- `context` column now, at migration time, so dbt never meets a raw table without it (the loader also adds it
-- lazily, but only when it next writes to that table).
do $$
declare
    t record;
begin
    for t in
        select c.table_schema, c.table_name
        from information_schema.tables as c
        where c.table_schema in ('raw', 'quarantine')
          and c.table_type = 'BASE TABLE'
          and not exists (
              select from information_schema.columns as col
              where col.table_schema = c.table_schema and col.table_name = c.table_name
                and col.column_name = 'context'
          )
    loop
        execute format('alter table %I.%I add column context jsonb', t.table_schema, t.table_name);
    end loop;
end
$$;
