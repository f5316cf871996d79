"""
### extract_onec — land 1C:УТ 11 data into `raw` over the standard OData interface

For every 1C base listed under `onec` in the Variable `sellerflow_accounts` (one Airflow
connection `onec_<base>` each: host = the base's OData URL, login/password = Basic auth), the
catalog (`Catalog_Номенклатура`) lands in `raw.onec_products` as append-only versions, then a
Great Expectations suite checks the latest versions and records its verdict in
`ops.quality_results`. Emits the Asset `warehouse.raw.onec_products`, which schedules
`transform_dbt`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from sellerflow.orchestration.assets import RAW_ONEC_PRODUCTS, WAREHOUSE_SCHEMA
from sellerflow.orchestration.defaults import DEFAULT_ARGS, START_DATE


@dag(
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["sellerflow", "extract", "onec"],
    doc_md=__doc__,
)
def extract_onec():
    @task(outlets=[WAREHOUSE_SCHEMA])
    def migrate_warehouse() -> list[str]:
        """Apply pending warehouse migrations (idempotent)."""
        from sellerflow.warehouse.migrations import migrate

        return migrate()

    @task
    def list_bases() -> list[str]:
        """Connection ids of the configured 1C bases."""
        from sellerflow.orchestration.accounts import configured_accounts

        return configured_accounts("onec")

    @task(pool="onec", map_index_template="{{ conn_id }}")
    def land_catalog(conn_id: str, run_id: str | None = None) -> dict[str, int]:
        """Land Catalog_Номенклатура of one base into raw.onec_products."""
        from dataclasses import asdict

        from sellerflow.orchestration.connections import onec_base
        from sellerflow.pipelines.onec_catalog import land_onec_products
        from sellerflow.warehouse.connection import default_dsn

        return asdict(land_onec_products(onec_base(conn_id), default_dsn(), run_id or "manual"))

    @task(outlets=[RAW_ONEC_PRODUCTS])
    def check_catalog_quality(run_id: str | None = None) -> bool:
        """Great Expectations suite on the latest catalog versions; fails the task when it fails."""
        from sellerflow.quality.raw_checks import ONEC_PRODUCTS, check_raw_table
        from sellerflow.warehouse.connection import default_dsn

        result = check_raw_table(default_dsn(), ONEC_PRODUCTS, run_id or "manual")
        if not result.success:
            raise ValueError(f"raw.onec_products failed its quality suite: {result.failed}")
        return True

    landed = land_catalog.expand(conn_id=list_bases())
    migrate_warehouse() >> landed >> check_catalog_quality()


extract_onec()
