{#- A calendar from var calendar_start to calendar_end. -#}
with days as (

    select day::date as date_day
    from generate_series('{{ var("calendar_start") }}'::date, '{{ var("calendar_end") }}'::date, interval '1 day') as day

)

select
    date_day,
    extract(isoyear from date_day)::int as iso_year,
    extract(week from date_day)::int as iso_week,
    date_trunc('week', date_day)::date as week_start,
    date_trunc('month', date_day)::date as month_start,
    extract(year from date_day)::int as year,
    extract(month from date_day)::int as month,
    extract(isodow from date_day)::int as day_of_week,
    extract(isodow from date_day) in (6, 7) as is_weekend
from days
