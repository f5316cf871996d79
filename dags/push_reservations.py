"""
### push_reservations — new marketplace orders → reserved ЗаказКлиента in 1C, every minute

1. `poll_new_orders`: every cabinet of the Variable `sellerflow_accounts` lands its new-order list in raw
   (Ozon FBS unfulfilled list, WB `/api/v3/orders/new`, Yandex Market orders in PROCESSING, Megamarket
   NEW/CONFIRMED shipments), through the shared rate limiter; a failing cabinet is logged and skipped.
   The cabinets' non-secret settings (1C base, organization, partner, warehouse refs) go to
   `ops.reverse_etl_accounts`.
2. `push_onec_reservations`: reads `marts.sync_onec__reservations` (the desired state, only what 1C has not
   acknowledged yet), enqueues it into `ops.outbox` and drains it: each order becomes a posted ЗаказКлиента
   (looked up by НомерПоДаннымКлиента first, never created twice); a cancellation closes it and releases the
   reserve. Logs how many items were due, sent, acknowledged, failed and parked. 1C's refusals (not enough
   stock) are parked with 1C's message: `python -m sellerflow.reverse_etl status`, then `replay`.

Dry run: set the Variable `sellerflow_reverse_etl_dry_run` to `true` (or `["onec_reservations"]`): the outbox
is written, nothing is sent. Pool `reverse_etl`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from sellerflow.orchestration.defaults import EXTRACT_ARGS, START_DATE

PUSH_ARGS = {**EXTRACT_ARGS, "retries": 1, "pool": "reverse_etl"}


@dag(
    schedule="* * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=PUSH_ARGS,
    tags=["sellerflow", "reverse_etl", "onec"],
    doc_md=__doc__,
)
def push_reservations() -> None:
    @task
    def poll_new_orders(run_id: str | None = None, data_interval_end=None) -> dict:
        """Land every cabinet's new-order list in raw."""
        from datetime import UTC, datetime

        from sellerflow.reverse_etl.orchestration import poll_new_orders_all
        from sellerflow.warehouse.connection import default_dsn

        return poll_new_orders_all(default_dsn(), run_id or "manual", data_interval_end or datetime.now(UTC))

    @task
    def push_onec_reservations() -> dict:
        """Enqueue the desired reservations and send them to 1C."""
        from sellerflow.reverse_etl.orchestration import push_target
        from sellerflow.warehouse.connection import default_dsn

        return push_target(default_dsn(), "onec_reservations")

    poll_new_orders() >> push_onec_reservations()


push_reservations()
