"""
### push_statuses — 1C progress (assembled, shipped) → each marketplace's next legal order status, every 5 minutes

1. `store_settings`: the cabinets' non-secret settings go to `ops.reverse_etl_accounts`.
2. `push_statuses`: for Ozon, Wildberries, Yandex Market and Megamarket in turn, reads
   `marts.sync_<marketplace>__statuses` (an order whose ЗаказКлиента is КОтгрузке — or that the TSD helper reported
   assembled — or whose Реализация is posted, and whose marketplace status allows the next step: Ozon ship, WB
   supply create/add/deliver, YM boxes + READY_TO_SHIP, Megamarket confirm/packing/shipping), enqueues it into
   `ops.outbox` and drains it. An illegal transition (e.g. the marketplace cancelled the order) is parked with the
   reason before any call. Logs per target how many items were due, sent, acknowledged, failed and parked.
   First it drains `onec_assembled`: the 1C orders of finished TSD pick lists go to Статус КОтгрузке, the units
   not found are cut off into cancelled lines (their reserve released); then `<marketplace>_shortages`: those
   units cancelled at the marketplace where its API allows (WB task cancel, Megamarket order/reject, Ozon and YM
   cancel of a posting with nothing found, Ozon product/cancel per product and YM's box layout with allowRemove for
   a part). Both are enqueued when a list is finished.

Every 5 minutes and when extract_onec lands documents (Asset `warehouse.raw.onec_customer_orders`). The 1C side
is read from the incremental staging tables `transform_dbt` builds (`stg_onec__customer_orders`,
`stg_onec__shipments`), so a 1C change reaches the marketplace within one transform cycle plus ≤ 5 minutes; the
marketplace side (new-order lists, status streams) is read from raw directly. Dry run:
Variable `sellerflow_reverse_etl_dry_run` = `true` or a list naming e.g. `"ozon_statuses"`. Pool `reverse_etl`.
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
        timetable=CronTriggerTimetable("*/5 * * * *", timezone="UTC"),
        assets=warehouse_asset("raw", "onec_customer_orders"),
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=PUSH_ARGS,
    tags=["sellerflow", "reverse_etl", "statuses"],
    doc_md=__doc__,
)
def push_statuses() -> None:
    @task
    def store_settings() -> int:
        """Copy the cabinets' settings for the sync models."""
        from sellerflow.reverse_etl.orchestration import store_settings as store
        from sellerflow.warehouse.connection import default_dsn

        return store(default_dsn())

    @task
    def push_statuses_task() -> dict:
        """Send 1C's «assembled» (TSD) first, then enqueue and send the status steps of every marketplace."""
        from sellerflow.reverse_etl.orchestration import push_targets
        from sellerflow.reverse_etl.targets import SHORTAGE_TARGETS, STATUS_TARGETS
        from sellerflow.warehouse.connection import default_dsn

        return push_targets(default_dsn(), ["onec_assembled", *SHORTAGE_TARGETS, *STATUS_TARGETS])

    store_settings() >> push_statuses_task()


push_statuses()
