{#- on-run-end (dbt_project.yml): a whole-project `dbt build` (no --select / --exclude; or the transform's
    `--select selector:cycle`, with or without `--exclude` of quiet models, which leaves out only what did not
    change, see dbt/selectors.yml and sellerflow.orchestration.dbt_cycle) records when it started and
    whether every node passed, in ops.dbt_builds. The transform's gate reads it: an asset-triggered run skips its
    build when no load finished after the start of the last build that succeeded (a load that finished before the
    start was read by that build). dbt's run_started_at is UTC. -#}
{% macro record_build(results) -%}
    {%- set args = invocation_args_dict -%}
    {%- if execute and flags.WHICH == 'build' and args.get('selector') is none and (
            not args.get('select') and not args.get('exclude') or is_cycle_selection()) -%}
        {%- set failed = results | selectattr('status', 'in', ['error', 'fail', 'skipped', 'runtime error']) | list -%}
        insert into ops.dbt_builds (invocation_id, started_at, succeeded)
        values ('{{ invocation_id }}', '{{ run_started_at.strftime("%Y-%m-%dT%H:%M:%S.%f") }}+00',
                {{ 'false' if failed else 'true' }})
        on conflict (invocation_id) do nothing
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
