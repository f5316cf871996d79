"""Deterministic identifiers and value conversions for the 1C emulator.

Objects that the canonical world has no table for (partners, counterparties, VAT rates,
price types, storage cells, the ruble) get GUIDs derived with UUIDv5 from their natural
key, so the same world always shows the same ``Ref_Key`` values and the scenario
generator can compute them too (``partner_ref('ut_main', 'ozon')``).

1C serialises ``Edm.DateTime`` as the server's local time without an offset
(``2024-05-01T12:00:00``) and an empty date as ``0001-01-01T00:00:00``; the store keeps
UTC ``...Z`` strings. ``DataVersion`` is an opaque base64 string in 1C
(e.g. ``AAAAAgAAAAA=``); it changes on every write.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"
DEFAULT_TZ = ZoneInfo("Europe/Moscow")

_NAMESPACE = uuid.UUID("6f1c3b7e-2d4a-5e8f-9a0b-1c2d3e4f5a6b")

# Marketplace partners every base knows (Catalog_Партнеры / Catalog_Контрагенты).
# The operators' legal entities as the scenario generator names them (scenario/catalog.py).
MARKETPLACES: tuple[tuple[str, str, str, str], ...] = (
    ("ozon", "Ozon", 'ООО "Интернет Решения"', "7704217370"),
    ("wildberries", "Wildberries", 'ООО "Вайлдберриз"', "7721546864"),
    ("yandex_market", "Яндекс Маркет", 'ООО "Яндекс Маркет"', "9704254424"),
    ("megamarket", "Мегамаркет", 'ООО "Маркетплейс"', "9701048328"),
)

VAT_PERCENT = {"НДС22": 22, "НДС20": 20, "НДС18": 18, "НДС10": 10, "НДС0": 0, "БезНДС": 0}


@lru_cache(maxsize=65536)
def derived_guid(*parts: str) -> str:
    """A stable GUID for an object identified by ``parts`` (UUIDv5 in a private namespace)."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def partner_ref(base_id: str, marketplace: str) -> str:
    """``Ref_Key`` of the marketplace's Catalog_Партнеры item in a base.

    Same derivation as the scenario generator (``scenario.ids.stable_guid(base, "partner",
    marketplace)``), so the documents it writes point at these partners.
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sellerflow:{base_id}:partner:{marketplace}"))


def contractor_ref(partner_key: str) -> str:
    """``Ref_Key`` of the Catalog_Контрагенты item that belongs to a partner."""
    return derived_guid("contractor", partner_key)


def currency_ref() -> str:
    """``Ref_Key`` of the ruble in Catalog_Валюты (code 643)."""
    return derived_guid("currency", "643")


def vat_ref(base_id: str, vat_rate: str) -> str:
    """``Ref_Key`` of a Catalog_СтавкиНДС item ('НДС20', 'НДС10', 'БезНДС', ...)."""
    return derived_guid("vat", base_id, vat_rate)


def price_type_ref(base_id: str, price_type: str) -> str:
    """``Ref_Key`` of a Catalog_ВидыЦен item ('Розничная', 'Ozon', ...)."""
    return derived_guid("price_type", base_id, price_type)


def cell_ref(warehouse_id: str, cell: str) -> str:
    """``Ref_Key`` of a Catalog_СкладскиеЯчейки item (address ``cell`` in a warehouse)."""
    return derived_guid("cell", warehouse_id, cell)


@lru_cache(maxsize=65536)
def to_local(ts: str | None, tz: tzinfo = DEFAULT_TZ) -> str:
    """Store timestamp (UTC ``...Z`` or a bare date) -> 1C local ``YYYY-MM-DDTHH:MM:SS``."""
    if not ts:
        return EMPTY_DATE
    if len(ts) == 10:  # a date column: dates have no time zone in 1C
        return f"{ts}T00:00:00"
    moment = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S")


def from_local(text: str, tz: tzinfo = DEFAULT_TZ) -> str:
    """1C local ``YYYY-MM-DDTHH:MM:SS`` (or a date prefix of it) -> store UTC ``...Z``.

    Raises ValueError when the text is not a date.
    """
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1]
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    else:
        raise ValueError(f"not a 1C date: {text!r}")
    return moment.replace(tzinfo=tz).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_data_version(previous: str | None) -> str:
    """The DataVersion after one more write: base64 of an 8-byte counter, like 1C's."""
    counter = 0
    if previous:
        try:
            raw = base64.b64decode(previous, validate=True)
            counter = int.from_bytes(raw[-8:], "big") if raw else 0
        except ValueError:
            counter = int.from_bytes(previous.encode()[-6:], "big")
    return base64.b64encode((counter + 1).to_bytes(8, "big")).decode()
