{#- The latest landed version of every (account_id, natural_key) of a raw source table, with its raw id.

    A raw table appears with its extraction's first load: until then the model reads an empty set of the
    same shape, so a marketplace whose extraction has not run yet builds (and fills on a later run).

    In an incremental model only the keys that got a version the model's previous run could not see are read:
    those of the raw rows written by a transaction whose id is at or above the horizon recorded when that run
    started (ops.dbt_watermarks.snapshot_xmin, see record_watermark and database_xmin), before it read anything.
    Why nothing is skipped, however late a load commits: a transaction with an id below a snapshot's xmin had
    ended when the snapshot was taken, so a row the previous run did not see — its transaction was still running,
    or began later — was written by a transaction with an id at or above that xmin (database_xmin: the same,
    leaving out transactions running in other databases, which cannot write here). Row ids and landing times give
    no such bound: a loader transaction takes its ids and its ``now()`` when it starts and may commit after others
    that started later. ``xmin`` has no index, so the scan is bounded by landing time: a loader's row carries its
    transaction's start (``extracted_at`` default ``now()``), and every transaction that could write a row the
    previous run did not see was open when that run took its snapshot or began later, so the row's
    ``extracted_at`` is at or after the oldest ``xact_start`` in this database at that moment (recorded with the
    snapshot: oldest_xact_start). A BRIN index on ``extracted_at`` (raw is append-only, in landing order) turns
    that bound into a few block ranges of the heap, then an index probe per key. A
    long transaction in this database holds the horizon back: rows are then read again (more work, never a wrong
    result). A model without a snapshot_xmin (built before migration 0042) reads every key once. -#}
{% macro latest_version(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set watermark = model_watermark() if is_incremental() else {} -%}
    {%- set since = watermark.get('snapshot_xmin') -%}
    {%- set oldest = watermark.get('oldest_xact_start') -%}
    {%- if execute and load_relation(relation) is none -%}
    select
        null::text as account_id, null::text as natural_key, null::jsonb as payload,
        null::jsonb as context, null::bytea as payload_hash, null::timestamptz as extracted_at,
        null::text as run_id, null::bigint as raw_id
    where false
    {%- elif since is not none -%}
    select
        latest.account_id, latest.natural_key, latest.payload, latest.context, latest.payload_hash,
        latest.extracted_at, latest.run_id, latest.raw_id
    from (
        select distinct account_id, natural_key from {{ relation }}
        where {{ written_since('xmin', since) }}
        {%- if oldest is not none %}
            {#- the BRIN index's few block ranges instead of the whole heap; the overlap covers a clock step #}
            and extracted_at >= '{{ oldest }}'::timestamptz - interval '{{ var("incremental_overlap_minutes") }} minutes'
        {%- endif %}
    ) as written
    {#- a lateral subquery with a limit is always a nested loop over the written keys: a probe of the
        latest-version index each, however badly the planner guesses how many keys the xmin test keeps #}
    cross join lateral (
        select raw.account_id, raw.natural_key, raw.payload, raw.context, raw.payload_hash, raw.extracted_at,
            raw.run_id, raw.id as raw_id
        from {{ relation }} as raw
        where raw.account_id = written.account_id and raw.natural_key = written.natural_key
        order by raw.extracted_at desc, raw.id desc
        limit 1
    ) as latest
    {%- else -%}
    {#- every row but the superseded versions: these are numbered in the order of the latest-version index (an
        index-only scan, no sort) and anti-joined by id, so the table is read once in physical order; a distinct on
        over whole rows would fetch them in key order, at random (at 1M rows 3 times slower) #}
    select
        raw.account_id, raw.natural_key, raw.payload, raw.context, raw.payload_hash, raw.extracted_at, raw.run_id,
        raw.id as raw_id
    from {{ relation }} as raw
    where not exists (
        select from (
            select id, row_number() over (
                partition by account_id, natural_key order by extracted_at desc, id desc
            ) as version
            from {{ relation }}
        ) as versions
        where versions.version > 1 and versions.id = raw.id
    )
    {%- endif -%}
{%- endmacro %}

{#- A condition true for the rows of a table whose writing transaction (``xid``, a 32-bit xid column such as
    ``xmin``) has an id at or above ``since`` (the text of an xid8, e.g. a snapshot_xmin of ops.dbt_watermarks).
    A row keeps only the low 32 bits of its transaction's id; ``age(xid)`` is the distance, modulo 2^32 as a
    signed 32-bit number, from one reference id fixed for the whole transaction (its own id, else the next one)
    back to the row's. Every id of [since, the reference] is at most as far back as ``since`` is; an id above
    the reference (a transaction that committed since) is at a negative distance: both count as written since.
    Rows older than ``since`` fall outside unless they are ~2 billion transactions older (then they are read
    again: more work, never a row missed); when ``since`` is over 2^31 transactions behind, or ahead of this
    server's counter (a restored copy), every row counts as written since. ``age()`` is a plain integer
    subtraction per row: a third cheaper, over a million-row heap, than the text casts it replaced. -#}
{% macro written_since(xid, since) -%}
    {%- set since = since | int -%}
    {#- scalar subqueries: evaluated once per statement, not per row #}
    {%- set horizon = '(select pg_snapshot_xmax(pg_current_snapshot())::text::bigint - ' ~ since ~ ')' -%}
    ({{ horizon }} not between 0 and 2147483647
        or age({{ xid }}) <= (select age('{{ since % 4294967296 }}'::xid)))
{%- endmacro %}

{#- The watermark of the incremental model being compiled, from ops.dbt_watermarks (see record_watermark): a dict
    with ``run_started_at`` (seconds since the epoch when its previous run started), ``snapshot_xmin`` and
    ``oldest_xact_start`` (text), each none when not known. Read once per model: the first call queries it, later calls of the same compilation
    (new_since in every CTE, latest_version) reuse the answer kept on the model's context. -#}
{% macro model_watermark() -%}
    {%- if not execute -%}
        {{ return({'run_started_at': none, 'snapshot_xmin': none}) }}
    {%- endif -%}
    {%- if 'sellerflow_watermark' not in model -%}
        {%- set sql -%}
            select extract(epoch from run_started_at)::float8, snapshot_xmin::text, oldest_xact_start::text
            from ops.dbt_watermarks where relation = '{{ this.schema }}.{{ this.identifier }}'
        {%- endset -%}
        {%- set rows = run_query(sql).rows -%}
        {%- do model.update({'sellerflow_watermark': {
            'run_started_at': rows[0][0] if rows | length > 0 else none,
            'snapshot_xmin': rows[0][1] if rows | length > 0 else none,
            'oldest_xact_start': rows[0][2] if rows | length > 0 else none,
        }}) -%}
    {%- endif -%}
    {{ return(model['sellerflow_watermark']) }}
{%- endmacro %}

{#- In an incremental model: the time above which a ``column`` (landed_at) is new since the model's last run —
    when that run started, less var incremental_overlap_minutes (loads that committed late); for a model built
    before watermarks were kept, its newest ``column``. Inlined as a literal, so the planner sees how few rows are
    new (a subquery there looks like a third of the table and makes it scan everything). -#}
{% macro new_since(column='landed_at') -%}
    {%- if not execute -%}
        {{ return("'-infinity'::timestamptz") }}
    {%- endif -%}
    {%- set started = model_watermark().run_started_at -%}
    {%- if started is none -%}
        {%- set sql -%}
            select coalesce(extract(epoch from max({{ column }}))::float8, -62135596800) from {{ this }}
        {%- endset -%}
        {%- set started = run_query(sql).columns[0].values()[0] -%}
    {%- endif -%}
    to_timestamp({{ started - var("incremental_overlap_minutes") * 60 }})
{%- endmacro %}

{#- Pre-hook of every model (dbt_project.yml), in the model's transaction before it reads anything: an incremental
    or table model records when this run started (now(): its transaction's start), the snapshot horizon
    latest_version reads from next time (database_xmin), the oldest transaction then open (oldest_xact_start: the
    cycle leaves out a model when nothing landed since, sellerflow.orchestration.dbt_cycle) and, for an
    incremental model, the landing time above which this run re-reads rows (the previous run's start less the
    overlap; null on a full build), which the data tests of the cycle check (get_where_subquery). A failed run
    rolls its watermark back with the rest. -#}
{% macro record_watermark() -%}
    {%- if model.config.materialized in ('incremental', 'table') -%}
    select pg_stat_clear_snapshot();
    insert into ops.dbt_watermarks as watermark
        (relation, run_started_at, snapshot_xmin, oldest_xact_start, cycle_since)
    select '{{ this.schema }}.{{ this.identifier }}', now(), {{ database_xmin() }}, {{ oldest_xact_start() }}, null
    on conflict (relation) do update set
        run_started_at = excluded.run_started_at,
        snapshot_xmin = excluded.snapshot_xmin,
        oldest_xact_start = excluded.oldest_xact_start,
        cycle_since = {% if is_incremental() -%}
            watermark.run_started_at - interval '{{ var("incremental_overlap_minutes") }} minutes'
        {%- else %}null{% endif %}
    {%- endif -%}
{%- endmacro %}

{#- The xmin of the statement's snapshot, counting only transactions that may write this database: the oldest
    transaction the snapshot sees running (pg_snapshot_xip) that pg_stat_activity does not show running in another
    database, else the snapshot's xmax. Every transaction of this database whose rows the snapshot — or any later
    one — does not see has an id at or above it: one that had its id when the snapshot was taken and had not
    committed is in the snapshot's running list and shows in no other database's backend (a backend serves one
    database for life; its slot can be taken over only by a backend that starts, and so gets its ids, after the
    snapshot, at or above its xmax); one that got its id later has one at or above the xmax. So a long transaction
    in another database (another installation, the Airflow metadata) does not hold the horizon back; one in this
    database (another dbt thread, a loader) does. Needs pg_stat_activity read after the snapshot: the caller clears
    the statistics cached by its transaction first (pg_stat_clear_snapshot). Another role's backends show no
    transaction id without pg_read_all_stats: they then count as this database's (an earlier horizon: rows read
    again, never missed). -#}
{% macro database_xmin() -%}
    (
        select least(
            pg_snapshot_xmax(current.snapshot),
            (
                select min(running) from pg_snapshot_xip(current.snapshot) as running
                where running::text::bigint % 4294967296 not in (
                    select backend_xid::text::bigint from pg_stat_activity
                    where backend_xid is not null and datname is distinct from current_database()
                )
            )
        )
        from (select pg_current_snapshot() as snapshot) as current
    )
{%- endmacro %}

{#- The start of the oldest transaction open in this database (this one included), read with the snapshot of
    database_xmin (the caller clears pg_stat_activity's cache first). Null when another role's backend here hides
    its transaction without pg_read_all_stats: then the next run has no landing-time bound (reads more, misses
    nothing). -#}
{% macro oldest_xact_start() -%}
    (
        select case when bool_or(state is null and backend_type = 'client backend') then null
                    else least(min(xact_start), now()) end
        from pg_stat_activity where datname = current_database()
    )
{%- endmacro %}

{#- In an incremental model: a where clause keeping only the rows landed since its last run (nothing on a full
    build). -#}
{% macro only_new(column='landed_at') -%}
    {%- if is_incremental() %}where {{ column }} > {{ new_since(column) }}{% endif -%}
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

{#- In an incremental model: a condition true for the rows of the relation being read that were written (inserted,
    or updated by an incremental merge) since the model's previous run: its snapshot watermark over the row's
    ``xmin`` (written_since). Unlike landed_at it also catches a row rewritten in place (a product mapped later);
    every row when no watermark is kept yet. -#}
{% macro rewritten_since_last_run(xid='xmin') -%}
    {%- set since = model_watermark().snapshot_xmin -%}
    {%- if since is none -%}true{%- else -%}{{ written_since(xid, since) }}{%- endif -%}
{%- endmacro %}
