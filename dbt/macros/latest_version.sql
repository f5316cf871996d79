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

{#- In an incremental model: the ``column`` (landed_at) above which rows are new since the last run, less
    var incremental_overlap_minutes (loads that committed late). -#}
{% macro new_since(column='landed_at') -%}
    (select coalesce(max({{ column }}), '-infinity'::timestamptz) - interval '{{ var("incremental_overlap_minutes") }} minutes'
     from {{ this }})
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
