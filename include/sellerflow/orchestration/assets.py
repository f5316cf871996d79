"""Airflow Assets: the warehouse tables DAGs produce and consume, named ``warehouse.<schema>.<table>``."""

from __future__ import annotations

from airflow.sdk import Asset


def warehouse_asset(schema: str, table: str) -> Asset:
    """The Asset for one warehouse table."""
    return Asset(name=f"warehouse.{schema}.{table}", uri=f"sellerflow://warehouse/{schema}/{table}")


WAREHOUSE_SCHEMA = warehouse_asset("ops", "schema_migrations")
RAW_ONEC_PRODUCTS = warehouse_asset("raw", "onec_products")
