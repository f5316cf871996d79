"""Per-cabinet settings the sync models need, copied from the Airflow connections into ``ops.reverse_etl_accounts``.

dbt cannot read Airflow connections, so the push DAG writes, before each cycle, what the desired-state SQL
needs of every marketplace cabinet — never a secret:

- ``onec_base``: the 1C base that keeps the cabinet's legal entity (connection extra ``onec_base``);
- ``organization_key``: the seller's ``Catalog_Организации`` ref in that base (cabinet extra
  ``onec_organization_key``, else extra ``organization_ref`` of connection ``onec_<base>``);
- ``partner_key`` / ``contractor_key``: the marketplace as the 1C partner and counterparty (the commissioner),
  from cabinet extras ``onec_partner_key`` / ``onec_contractor_key``; when absent, the model looks up the
  counterparty with the marketplace operator's ИНН (``commissioner_inn`` extra, else the dbt var
  ``marketplace_commissioner_inn``);
- ``warehouse_onec_refs``: marketplace warehouse id → ``Catalog_Склады`` ref the goods are reserved on (and whose
  free stock is published to that marketplace warehouse);
- ``stock_safety_buffer`` / ``stock_safety_buffer_by_offer``: units kept back from the published stock, per
  cabinet and per SKU (``{offer_id: units}``); default the dbt var ``stock_safety_buffer`` (0);
- ``price_type``: the name of the 1C ``Catalog_ВидыЦен`` whose prices are published to the cabinet (extra
  ``onec_price_type``; default the dbt var ``marketplace_price_types`` by marketplace);
- ``price_drop_hold_share``: a price drop larger than this share of the current price is held for approval
  (extra ``price_drop_hold_share``; default the dbt var ``price_drop_hold_share``, 0.2).

The dbt model ``int_reverse_etl__accounts`` parses these rows once for every reverse-ETL model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sellerflow.sources.account import MarketplaceAccount


def reservation_settings(
    account: MarketplaceAccount, base_organizations: Mapping[str, str | None]
) -> dict[str, Any]:
    """The settings row of one cabinet; ``base_organizations`` maps 1C base id → organization ref."""
    extra = dict(account.settings)
    base = extra.get("onec_base")
    organization = extra.get("onec_organization_key") or (base_organizations.get(str(base)) if base else None)
    refs = extra.get("warehouse_onec_refs") or {}
    return {
        "onec_base": str(base) if base else None,
        "organization_key": organization,
        "partner_key": extra.get("onec_partner_key"),
        "contractor_key": extra.get("onec_contractor_key"),
        "commissioner_inn": extra.get("commissioner_inn"),
        "warehouse_onec_refs": {str(k): str(v) for k, v in dict(refs).items()},
        "stock_safety_buffer": extra.get("stock_safety_buffer"),
        "stock_safety_buffer_by_offer": {
            str(k): int(v) for k, v in dict(extra.get("stock_safety_buffer_by_offer") or {}).items()
        },
        "price_type": extra.get("onec_price_type"),
        "price_drop_hold_share": extra.get("price_drop_hold_share"),
    }


def store(dsn: str, rows: Iterable[tuple[MarketplaceAccount, dict[str, Any]]]) -> int:
    """Upsert the settings rows; returns how many were written."""
    written = 0
    with psycopg.connect(dsn) as conn, conn.transaction():
        for account, settings in rows:
            conn.execute(
                "insert into ops.reverse_etl_accounts (account_id, marketplace, settings) values (%s, %s, %s) "
                "on conflict (account_id) do update set marketplace = excluded.marketplace, "
                "settings = excluded.settings, updated_at = clock_timestamp() "
                "where ops.reverse_etl_accounts.settings is distinct from excluded.settings",
                (account.account_id, account.source, Jsonb(settings)),
            )
            written += 1
    return written
