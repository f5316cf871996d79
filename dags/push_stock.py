"""
### push_stock — 1C free stock → every marketplace's FBS warehouses, every 10 minutes and when 1C stock lands

1. `store_settings`: the cabinets' non-secret settings (1C base, warehouse mapping `warehouse_onec_refs`,
   safety buffers `stock_safety_buffer` / `stock_safety_buffer_by_offer`) go to `ops.reverse_etl_accounts`.
2. `push_stocks`: for Ozon, Wildberries, Yandex Market and Megamarket in turn, reads
   `marts.sync_<marketplace>__stocks` (free stock = 1C in stock − reserved − orders that arrived after the 1C
   snapshot − safety buffer, never negative; only SKUs whose stock differs from what the marketplace
   acknowledged; a vanished SKU as 0), enqueues it into `ops.outbox` and drains it within each vendor's batch
   maximum (Ozon 100 pairs, WB 1000 per warehouse, YM 2000 SKUs, MM 300 [?]) and the shared rate limiter. Logs
   per target how many items were due, sent, acknowledged, failed and parked; one vendor's outage does not hold
   back the others.

Runs every 10 minutes and whenever extract_onec lands stock (Asset `warehouse.raw.onec_stock`). The sync
models are views, so the run sees the stock the last transform built. Dry run: Variable
`sellerflow_reverse_etl_dry_run` = `true` or a list naming e.g. `"ozon_stocks"`. Pool `reverse_etl`.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

from sellerflow.orchestration.assets import warehouse_asset
from sellerflow.orchestration.defaults import EXTRACT_ARGS, START_DATE

PUSH_ARGS = {**EXTRACT_ARGS, "retries": 1, "pool": "reverse_etl"}


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("*/10 * * * *", timezone="UTC"),
        assets=warehouse_asset("raw", "onec_stock"),
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=PUSH_ARGS,
    tags=["sellerflow", "reverse_etl", "stock"],
    doc_md=__doc__,
)
def push_stock() -> None:
    @task
    def store_settings() -> int:
        """Copy the cabinets' settings for the sync models."""
        from sellerflow.reverse_etl.orchestration import store_settings as store
        from sellerflow.warehouse.connection import default_dsn

        return store(default_dsn())

    @task
    def push_stocks() -> dict:
        """Enqueue and send the stock of every marketplace."""
        from sellerflow.reverse_etl.orchestration import push_targets
        from sellerflow.reverse_etl.targets import STOCK_TARGETS
        from sellerflow.warehouse.connection import default_dsn

        return push_targets(default_dsn(), list(STOCK_TARGETS))

    store_settings() >> push_stocks()


push_stock()
