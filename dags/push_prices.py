"""
### push_prices — the 1C price type of each cabinet → every marketplace's price API, hourly

1. `store_settings`: the cabinets' non-secret settings (1C base, price type `onec_price_type`, the drop threshold
   `price_drop_hold_share`) go to `ops.reverse_etl_accounts`.
2. `push_prices`: for Ozon, Wildberries, Yandex Market and Megamarket in turn, reads
   `marts.sync_<marketplace>__prices` (only prices that differ from what the marketplace acknowledged), enqueues it
   into `ops.outbox` — a drop larger than the threshold is enqueued **held** and waits for
   `python -m sellerflow.reverse_etl approve` — and drains the outbox within each vendor's batch maximum (Ozon 1000,
   WB 1000 cards, YM 500, MM 300 [?]) and the shared rate limiter. Logs per target how many items were due, sent,
   acknowledged, failed and parked.

Hourly, and when extract_onec lands prices (Asset `warehouse.raw.onec_prices`). Dry run: Variable
`sellerflow_reverse_etl_dry_run` = `true` or a list naming e.g. `"ozon_prices"`. Pool `reverse_etl`.
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
        timetable=CronTriggerTimetable("17 * * * *", timezone="UTC"),
        assets=warehouse_asset("raw", "onec_prices"),
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=PUSH_ARGS,
    tags=["sellerflow", "reverse_etl", "prices"],
    doc_md=__doc__,
)
def push_prices() -> None:
    @task
    def store_settings() -> int:
        """Copy the cabinets' settings for the sync models."""
        from sellerflow.reverse_etl.orchestration import store_settings as store
        from sellerflow.warehouse.connection import default_dsn

        return store(default_dsn())

    @task
    def push_prices_task() -> dict:
        """Enqueue and send the prices of every marketplace."""
        from sellerflow.reverse_etl.orchestration import push_targets
        from sellerflow.reverse_etl.targets import PRICE_TARGETS
        from sellerflow.warehouse.connection import default_dsn

        return push_targets(default_dsn(), list(PRICE_TARGETS))

    store_settings() >> push_prices_task()


push_prices()
