"""Names of the raw tables that have a quality suite, importable without Great Expectations or psycopg
(DAG files read it at parse time)."""

from __future__ import annotations

RAW_SUITE_TABLES: tuple[str, ...] = (
    "onec_products",
    "onec_customer_orders",
    "onec_shipments",
    "onec_customer_returns",
    "ozon_postings_fbs",
    "ozon_postings_fbo",
    "ozon_realization_rows",
    "ozon_products",
    "wildberries_orders",
    "wildberries_realization_rows",
    "wildberries_products",
    "yandex_market_orders",
    "yandex_market_realization_rows",
    "yandex_market_service_rows",
    "yandex_market_offer_mappings",
    "megamarket_shipments",
    "megamarket_report_rows",
)
