{#- Ozon's accrual type catalog (/v1/finance/accrual/types): type_id → name, and the charge kind sellerflow files it
    under (var ozon_accrual_kinds, docs/vendors/ozon.md; names not listed there are 'other'). -#}
with

source as (

    {{ latest_version('ozon', 'ozon_accrual_types') }}

),

kinds as (

    {%- set kinds = var('ozon_accrual_kinds') %}
    select * from (values
        {%- for name, kind in kinds.items() %}
        ('{{ name }}', '{{ kind }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as mapped(type_name, charge_kind)

)

select distinct on (source.account_id, (source.payload ->> 'id')::int)
    source.account_id,
    (source.payload ->> 'id')::int as type_id,
    source.payload ->> 'name' as type_name,
    source.payload ->> 'description' as type_description,
    coalesce(kinds.charge_kind, 'other') as charge_kind,
    source.extracted_at as landed_at
from source
left join kinds on kinds.type_name = source.payload ->> 'name'
order by source.account_id, (source.payload ->> 'id')::int, source.extracted_at desc
