{#- The latest landed version of every (account_id, natural_key) of a raw source table, with its raw id.

    A raw table appears with its extraction's first load: until then the model reads an empty set of the
    same shape, so a marketplace whose extraction has not run yet builds (and fills on a later run).

    In an incremental model only the keys that got a version since the model's last run are read: those
    with a raw id above the largest one the model holds, less var raw_id_overlap ids (a loader transaction
    that took its ids earlier may commit later). -#}
{% macro latest_version(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and load_relation(relation) is none -%}
    select
        null::text as account_id, null::text as natural_key, null::jsonb as payload,
        null::jsonb as context, null::bytea as payload_hash, null::timestamptz as extracted_at,
        null::text as run_id, null::bigint as raw_id
    where false
    {%- elif is_incremental() -%}
    select distinct on (raw.account_id, raw.natural_key)
        raw.account_id, raw.natural_key, raw.payload, raw.context, raw.payload_hash, raw.extracted_at,
        raw.run_id, raw.id as raw_id
    from {{ relation }} as raw
    where (raw.account_id, raw.natural_key) in (
        select account_id, natural_key from {{ relation }}
        where id > (select coalesce(max(raw_id), 0) - {{ var('raw_id_overlap') }} from {{ this }})
    )
    order by raw.account_id, raw.natural_key, raw.extracted_at desc, raw.id desc
    {%- else -%}
    select distinct on (account_id, natural_key)
        account_id, natural_key, payload, context, payload_hash, extracted_at, run_id, id as raw_id
    from {{ relation }}
    order by account_id, natural_key, extracted_at desc, id desc
    {%- endif -%}
{%- endmacro %}

{#- In an incremental model: the time above which a ``column`` (landed_at) is new since the model's last run —
    when that run started (ops.dbt_watermarks, written by record_watermark), less var incremental_overlap_minutes
    (loads that committed late); for a model built before watermarks were kept, its newest ``column``. Read before
    the statement runs and inlined as a literal, so the planner sees how few rows are new (a subquery there looks
    like a third of the table and makes it scan everything). -#}
{% macro new_since(column='landed_at') -%}
    {#- seconds since the epoch (a number survives agate's type guessing; year 1 when nothing is known) -#}
    {%- set sql -%}
        select coalesce(
            (select extract(epoch from run_started_at) from ops.dbt_watermarks
             where relation = '{{ this.schema }}.{{ this.identifier }}'),
            (select extract(epoch from max({{ column }})) from {{ this }}),
            -62135596800
        ) - {{ var("incremental_overlap_minutes") }} * 60
    {%- endset -%}
    {%- if execute -%}
        to_timestamp({{ run_query(sql).columns[0].values()[0] }})
    {%- else -%}
        to_timestamp(({{ sql }}))
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of every model (dbt_project.yml): an incremental model records when this run started (its
    transaction's start, so nothing that committed after its snapshot is skipped next time). -#}
{% macro record_watermark() -%}
    {%- if model.config.materialized == 'incremental' -%}
    insert into ops.dbt_watermarks (relation, run_started_at)
    values ('{{ this.schema }}.{{ this.identifier }}', now())
    on conflict (relation) do update set run_started_at = excluded.run_started_at
    {%- endif -%}
{%- endmacro %}

{#- In an incremental model: a where clause keeping only the rows landed since its last run (nothing on a full
    build). -#}
{% macro only_new(column='landed_at') -%}
    {%- if is_incremental() %}where {{ column }} > {{ new_since() }}{% endif -%}
{%- endmacro %}

{#- In an incremental model over report rows: a where clause keeping the rows landed since its last run and every
    row of a report whose header (``reports``, a staging relation) changed since (period, publication). -#}
{% macro only_new_or_of_changed_reports(reports) -%}
    {%- if is_incremental() %}
    where landed_at > {{ new_since() }}
        or (account_id, report_id) in (
            select account_id, report_id from {{ reports }} where landed_at > {{ new_since() }}
        )
    {%- endif -%}
{%- endmacro %}
