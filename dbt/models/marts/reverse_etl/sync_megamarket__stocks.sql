{{ config(materialized='view', post_hook=[]) }}
{#- Desired megamarket stock (macro sync_stocks: only what differs from the last acknowledged state; a vanished
    SKU goes out as 0). Megamarket offerService/stock/update {stocks: [{offerId, quantity}]}: one item per (cabinet, offerId); no warehouse in the call. -#}
{{ sync_stocks(
    'megamarket',
    "jsonb_build_object('offer_id', offer_id, 'stock', stock)"
) }}
