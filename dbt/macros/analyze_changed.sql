{#- Post-hook of every table the project builds: fresh planner statistics for the models and tests that read it next.

    A table (re)built in full is analyzed whole. An incremental run changes a few rows of a large table: the
    statistics of most columns stay true until a tenth of the rows have changed since the last full analyze (the
    threshold autovacuum uses), and analyzing every column of every incremental model each cycle was a quarter of a
    cycle's database time at a million rows. Only landed_at moves every cycle, and a cycle's own reads (new_since,
    the data tests of the cycle) filter on its newest values: it alone is analyzed (a fifth of the cost), so the
    planner keeps seeing how many rows are new instead of guessing one (a nested loop over thousands of rows): a
    load's rows share one landed_at (its transaction's now()), which the sample finds among the most common values.
    That analyze samples 9,000 rows (statistics target 30, set for it alone), not 30,000: five times cheaper at a
    million rows, and a batch of 1,000 new rows still shows (measured: 2,428 rows estimated for 1,892; target 10
    estimated 17). A small table (under 10,000 rows) is analyzed whole. Rows changed in this run's own transaction
    are counted by the next cycle. A view has no statistics: nothing is run. -#}
{% macro analyze_changed() -%}
    {%- set materialized = model.config.materialized -%}
    {%- if materialized == 'view' -%}
    select 1
    {%- elif materialized == 'incremental' and is_incremental() -%}
    do $analyze$ begin
        if (
            select coalesce(stats.n_mod_since_analyze > 0.1 * class.reltuples or class.reltuples < 10000, true)
            from pg_class as class
            left join pg_stat_user_tables as stats on stats.relid = class.oid
            where class.oid = '{{ this.schema }}.{{ this.identifier }}'::regclass
        ) then
            analyze {{ this }};
        elsif exists (
            select from pg_attribute
            where attrelid = '{{ this.schema }}.{{ this.identifier }}'::regclass and attname = 'landed_at'
                and not attisdropped
        ) then
            perform set_config('default_statistics_target', '30', true);
            analyze {{ this }} (landed_at);
        end if;
    end $analyze$
    {%- else -%}
    analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
