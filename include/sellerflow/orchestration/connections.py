"""Turn Airflow connections into the source settings the pipelines take."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sellerflow.sources.onec import OneCBase

# Connection extras of onec_<base> that tune the extraction (see OneCBase for meanings and defaults).
_ONEC_INT_EXTRAS = (
    "page_size",
    "document_page_size",
    "index_page_size",
    "refs_per_request",
    "max_attempts",
    "document_overlap_minutes",
    "document_horizon_days",
    "full_sweep_hours",
)
_ONEC_FLOAT_EXTRAS = ("timeout_s", "retry_initial_s", "retry_max_s")


def onec_settings(extra: Mapping[str, Any]) -> dict[str, Any]:
    """OneCBase keyword arguments from a connection's extras (unknown keys are ignored)."""
    settings: dict[str, Any] = {}
    for name in _ONEC_INT_EXTRAS:
        if extra.get(name) is not None:
            settings[name] = int(extra[name])
    for name in _ONEC_FLOAT_EXTRAS:
        if extra.get(name) is not None:
            settings[name] = float(extra[name])
    if extra.get("timezone"):
        settings["timezone"] = str(extra["timezone"])
    organization = extra.get("organization_key") or extra.get("organization_ref")
    if organization:
        settings["organization_key"] = str(organization)
    if extra.get("legal_entity_id"):
        settings["legal_entity_id"] = str(extra["legal_entity_id"])
    price_types = extra.get("price_types")
    if price_types:
        settings["price_types"] = tuple(str(p) for p in price_types)
    return settings


def onec_base(conn_id: str) -> OneCBase:
    """Settings of the 1C base behind connection ``onec_<base>`` (host = OData URL, login/password = Basic auth).

    Extras (all optional): ``timezone`` of the 1C server (default Europe/Moscow), ``organization_ref`` and
    ``legal_entity_id`` of the seller's organization in this base, ``price_types`` (Catalog_ВидыЦен refs),
    page sizes, timeouts and the document window (see :class:`~sellerflow.sources.onec.OneCBase`).
    """
    from airflow.sdk import Connection

    conn = Connection.get(conn_id)
    url = conn.host or ""
    if not url.startswith("http"):
        schema = conn.schema or "http"
        url = f"{schema}://{conn.host}{f':{conn.port}' if conn.port else ''}"
    if "/odata/" not in url:
        raise ValueError(
            f"connection {conn_id}: host must be the base's OData URL, e.g. "
            "http://1c.example/ut_main/odata/standard.odata"
        )
    extra = conn.extra_dejson if isinstance(conn.extra_dejson, dict) else {}
    return OneCBase(
        base_id=conn_id.removeprefix("onec_"),
        odata_url=url,
        username=conn.login or "",
        password=conn.password or "",
        **onec_settings(extra),
    )
