{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['account_id', 'report_row_key'],
          on_schema_change='append_new_columns', indexes=[{'columns': ['account_id', 'report_row_key']}, {'columns': ['landed_at']}],
          post_hook='{{ analyze_changed() }}') }}
{#- Rows of the realization report by posting, one per side: a sale (delivery_commission) and a return
    (return_commission). Live rows carry one side and null for the other; a row with both gives two rows (the
    return side keyed '<row>:return'). Amounts are roubles. commission is Ozon's reward: standard_fee + commission;
    payout is the side's total «Итого к начислению» = amount + bonus + bank_coinvestment + stars +
    pick_up_point_coinvestment + compensation − standard_fee − commission (docs/vendors/ozon.md); it holds no
    logistics — those are accruals (stg_ozon__accruals). formula_payout recomputes it from the parts. -#}
with

source as (

    {{ latest_version('ozon', 'ozon_realization_rows') }}

),

typed as (

    select
        source.*,
        sides.operation,
        sides.block,
        case
            when sides.operation = 'return' and jsonb_typeof(source.payload -> 'delivery_commission') = 'object'
                then source.natural_key || ':return'
            else source.natural_key
        end as row_key
    from source
    cross join lateral (
        values ('sale', source.payload -> 'delivery_commission'), ('return', source.payload -> 'return_commission')
    ) as sides(operation, block)
    where jsonb_typeof(sides.block) = 'object'

),

renamed as (

    select
        account_id,
        row_key as report_row_key,
        split_part(natural_key, ':', 1) as report_id,
        (payload ->> 'row_number')::int as row_number,
        payload -> 'order' ->> 'posting_number' as posting_number,
        {{ order_number("'ozon'", "payload -> 'order' ->> 'posting_number'") }} as order_number,
        payload -> 'item' ->> 'offer_id' as offer_id,
        (payload -> 'item' ->> 'sku')::bigint as sku,
        nullif(payload -> 'item' ->> 'barcode', '') as barcode,
        payload -> 'item' ->> 'name' as item_name,
        operation,
        (block ->> 'quantity')::int as quantity,
        {{ money("block ->> 'amount'") }} as amount,
        coalesce({{ money("block ->> 'standard_fee'") }}, 0) + coalesce({{ money("block ->> 'commission'") }}, 0)
            as commission,
        {{ money("block ->> 'total'") }} as payout,
        coalesce({{ money("block ->> 'bonus'") }}, 0) + coalesce({{ money("block ->> 'bank_coinvestment'") }}, 0)
            + coalesce({{ money("block ->> 'stars'") }}, 0)
            + coalesce({{ money("block ->> 'pick_up_point_coinvestment'") }}, 0)
            + coalesce({{ money("block ->> 'compensation'") }}, 0) as partner_payments,
        {{ money("block ->> 'price_per_instance'") }} as price_per_instance,
        nullif(payload ->> 'commission_ratio', '')::numeric as commission_ratio,
        nullif(payload -> 'legal_entity_document' ->> 'sale_date', '')::date as operation_date,
        nullif(payload -> 'order' ->> 'created_date', '')::date as order_created_on,
        extracted_at as landed_at,
        raw_id

    from typed

)

select * from renamed
