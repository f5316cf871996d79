{#- Megamarket stock is what the seller publishes (reverse-ETL), not read back: no rows. -#}
select
    'megamarket' as marketplace,
    null::text as account_id,
    null::text as offer_id,
    null::text as scheme,
    null::text as warehouse_id,
    null::numeric as quantity,
    null::numeric as reserved
where false
