"""
### build_pick_lists — orders awaiting assembly → pick lists for the warehouse handhelds (TSD)

`build`: reads `marts.pick_demand` (a dbt view over the hot path's new-order lists: WB assembly tasks, Ozon
FBS postings, YM PROCESSING orders, Megamarket NEW/CONFIRMED shipments; each unit mapped to its 1C item,
barcodes and storage cell) and

1. strikes from open and claimed lists every order the marketplace now reports cancelled (the device is told
   on its next call; a list left without orders is cancelled);
2. puts every order not yet on a list onto a new pick list of its warehouse (the 1C warehouse the marketplace
   warehouse maps to), lines sorted by cell. A WB orderUid, an Ozon posting, a YM order or a MM shipment is
   never split between lists.

Every 5 minutes, and on demand (*Trigger*). A rerun adds nothing. Devices fetch the lists from the TSD API
(`/tsd/api/v1/pick-lists`, plugin `sellerflow_tsd`); tokens: `python -m sellerflow.picking token issue`.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from sellerflow.orchestration.defaults import DEFAULT_ARGS, START_DATE


@dag(
    schedule=CronTriggerTimetable("*/5 * * * *", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "retries": 2},
    tags=["sellerflow", "picking", "tsd"],
    doc_md=__doc__,
)
def build_pick_lists() -> None:
    @task
    def build() -> dict:
        """Strike cancelled orders, put new ones on pick lists."""
        from sellerflow.picking.orchestration import build as build_lists
        from sellerflow.warehouse.connection import default_dsn

        return build_lists(default_dsn())

    build()


build_pick_lists()
