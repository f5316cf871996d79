"""The raw tables each marketplace extract DAG lands, as Airflow Assets (``warehouse.raw.<source>_<entity>``)."""

from __future__ import annotations

from airflow.sdk import Asset

from sellerflow.orchestration.assets import warehouse_asset

RAW_ENTITIES: dict[str, tuple[str, ...]] = {
    "ozon": (
        "postings_fbs",
        "postings_fbo",
        "posting_statuses",
        "products",
        "warehouses",
        "stocks",
        "prices",
        "realization_rows",
        "realization_reports",
        "accruals",
        "accrual_types",
        "accrual_postings",
    ),
    "wildberries": (
        "orders_fbs",
        "orders_fbs_new",
        "order_statuses",
        "orders",
        "sales",
        "products",
        "warehouses",
        "stocks",
        "prices",
        "realization_rows",
        "realization_reports",
        "seller_info",
    ),
    "yandex_market": (
        "api_keys",
        "campaigns",
        "warehouses",
        "offer_mappings",
        "stocks",
        "prices",
        "orders",
        "order_statuses",
        "realization_rows",
        "service_rows",
    ),
    "megamarket": (
        "shipments",
        "shipment_statuses",
        "offers",
        "prices",
        "report_rows",
        "reports",
    ),
}


def all_raw_assets() -> list[Asset]:
    """Assets of every marketplace raw table (what the dbt DAG is scheduled on)."""
    return [asset for source in RAW_ENTITIES for asset in raw_assets(source)]


def raw_assets(source: str) -> list[Asset]:
    """Assets of every raw table the source's extract DAG writes."""
    return [warehouse_asset("raw", f"{source}_{entity}") for entity in RAW_ENTITIES[source]]
