"""
### extract_onec — land 1C:УТ 11 data into `raw` over the standard OData interface

One DAG ticking every 5 minutes with three cadences (`sellerflow.sources.onec.schedule`): **stock** every
5 minutes (`ТоварыНаСкладах/Balance` → `raw.onec_stock`), **documents** every 10 (ЗаказКлиента,
РеализацияТоваровУслуг, ВозвратТоваровОтКлиента with their Товары → `raw.onec_customer_orders`,
`raw.onec_shipments`, `raw.onec_customer_returns`; incremental by Date window + DataVersion), **catalogs and
prices** hourly (Номенклатура, barcodes, storage cells, warehouses, partners, counterparties, organizations,
price types, `ЦеныНоменклатуры/SliceLast` → `raw.onec_products`, … ). A short-circuit task per group skips the
groups that are not due; a group that has not landed within its cadence (a new installation, a missed
slot) is done at the next tick; a manual run does everything. One DAG rather than three keeps one id and one
`max_active_runs=1` over the same state, and a slow catalog hour only delays the next tick.

For every 1C base listed under `onec` in the Variable `sellerflow_accounts` (one connection `onec_<base>`
each: host = the base's OData URL, login/password = Basic auth, extras = organization, time zone, page sizes)
a mapped task per group runs in the pool **`onec`**: 1C OData servers are slow (≈100–500 records a minute),
so size the pool to what the server's publication `poolSize` allows (2 by default). Requests inside a task
are sequential. Each land task emits the Assets of the raw tables it writes; the catalog quality check
emits `warehouse.raw.onec_products`, which schedules `transform_dbt`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, get_current_context, task

from sellerflow.orchestration.assets import RAW_ONEC_PRODUCTS, WAREHOUSE_SCHEMA, warehouse_asset
from sellerflow.orchestration.defaults import EXTRACT_ARGS, START_DATE


def _raw(*entities: str) -> list:
    return [warehouse_asset("raw", f"onec_{entity}") for entity in entities]


CATALOG_ASSETS = _raw(
    "characteristics", "barcodes", "warehouses", "storage_cells", "cell_placements", "partners",
    "counterparties", "organizations", "price_types", "prices", "removals",
)  # fmt: skip
DOCUMENT_ASSETS = _raw("customer_orders", "shipments", "customer_returns", "removals")
STOCK_ASSETS = _raw("stock")


def _run_times() -> tuple[datetime, bool]:
    """The run's reference time and whether the scheduler (not a person or an Asset) started it."""
    dag_run = get_current_context()["dag_run"]
    return dag_run.run_after, getattr(dag_run.run_type, "value", dag_run.run_type) == "scheduled"


def _due(group: str) -> bool:
    from sellerflow.sources.onec.schedule import group_due
    from sellerflow.warehouse.connection import default_dsn

    return group_due(group, *_run_times(), default_dsn())


@dag(
    schedule="*/5 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=EXTRACT_ARGS,
    tags=["sellerflow", "extract", "onec"],
    doc_md=__doc__,
)
def extract_onec() -> None:
    @task(outlets=[WAREHOUSE_SCHEMA])
    def list_bases() -> list[str]:
        """Apply pending warehouse migrations (idempotent), then the connection ids of the configured 1C bases."""
        from sellerflow.orchestration.accounts import accounts_after_migrating

        return accounts_after_migrating("onec")

    @task.short_circuit
    def catalogs_due() -> bool:
        """Hourly (or when catalogs last landed over an hour ago), or on a manual run."""
        return _due("catalogs")

    @task.short_circuit
    def documents_due() -> bool:
        """Every 10 minutes (or when documents last landed longer ago), or on a manual run."""
        return _due("documents")

    @task.short_circuit
    def stock_due() -> bool:
        """Every 5 minutes."""
        return _due("stock")

    @task(pool="onec", map_index_template="{{ conn_id }}", outlets=CATALOG_ASSETS,
          execution_timeout=timedelta(hours=2))  # fmt: skip
    def land_catalog(conn_id: str, run_id: str | None = None) -> dict:
        """Catalogs, barcodes, storage cells, partners, organizations and prices of one base."""
        from sellerflow.orchestration.connections import onec_base
        from sellerflow.sources.onec.extract import extract_catalogs
        from sellerflow.warehouse.connection import default_dsn

        return extract_catalogs(onec_base(conn_id), default_dsn(), run_id or "manual", _run_times()[0])

    @task(pool="onec", map_index_template="{{ conn_id }}", outlets=DOCUMENT_ASSETS,
          execution_timeout=timedelta(hours=6))  # fmt: skip
    def land_documents(conn_id: str, run_id: str | None = None) -> dict:
        """Customer orders, shipments and returns of one base, incrementally."""
        from sellerflow.orchestration.connections import onec_base
        from sellerflow.sources.onec.extract import extract_documents
        from sellerflow.warehouse.connection import default_dsn

        return extract_documents(onec_base(conn_id), default_dsn(), run_id or "manual", _run_times()[0])

    @task(pool="onec", map_index_template="{{ conn_id }}", outlets=STOCK_ASSETS,
          execution_timeout=timedelta(minutes=30))  # fmt: skip
    def land_stock(conn_id: str, run_id: str | None = None) -> dict:
        """Stock balances (in stock, reserved) of one base."""
        from sellerflow.orchestration.connections import onec_base
        from sellerflow.sources.onec.extract import extract_stock
        from sellerflow.warehouse.connection import default_dsn

        return extract_stock(onec_base(conn_id), default_dsn(), run_id or "manual", _run_times()[0])

    @task(outlets=[RAW_ONEC_PRODUCTS])
    def check_catalog_quality(run_id: str | None = None) -> bool:
        """Great Expectations suite on the latest catalog versions (not run when nothing landed since it last
        passed); fails the task when it fails."""
        from sellerflow.quality.raw_checks import ONEC_PRODUCTS, check_landed_table
        from sellerflow.warehouse.connection import default_dsn

        check_landed_table(default_dsn(), ONEC_PRODUCTS.table, run_id or "manual")
        return True

    bases = list_bases()
    gates = [catalogs_due(), documents_due(), stock_due()]
    bases >> gates
    catalog = land_catalog.expand(conn_id=bases)
    gates[0] >> catalog >> check_catalog_quality()
    gates[1] >> land_documents.expand(conn_id=bases)
    gates[2] >> land_stock.expand(conn_id=bases)


extract_onec()
