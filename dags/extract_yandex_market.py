"""
### extract_yandex_market — Yandex Market Partner API → `raw.yandex_market_*`, every 10 minutes, per cabinet

One mapped task per account listed under `yandex_market` in the Variable `sellerflow_accounts` (Airflow
connection `mp_yandex_market_<account>`: host = API URL, password = Api-Key, extra = `account_id`,
`business_id` (the cabinet), legal entity, `token_expires_at`, optional `horizon_days` /
`overlap_minutes` / `backfill_slice_days` / `rate_limits` / `report_poll_seconds`), all in the pool
`yandex_market`. Each run first reads the key's access groups (`POST /v2/auth/token`, stored in
`ops.account_credentials`) and fails the account at once, naming the missing access, when the key cannot
open a stream. Then, cadence-aware: business orders (`POST /v1/businesses/{id}/orders`, `page_token`) with
their status history every run — new and changed ones by update time, open ones re-read by id; stock
(per campaign) and prices hourly; campaigns, warehouses and offer mappings (barcodes, market SKU) daily;
the monthly goods-realization report daily (generate → info poll → download, per campaign; a month is
re-read until its report has settled). The first run backfills 90 days in 30-day windows (the API's
maximum) with an ETA in the log. Requests go through one Postgres-backed rate limiter per cabinet and
resource, plus its parallel-request cap, shared with every other run; a 420 waits until
`X-RateLimit-Resource-Until`. A failing account fails only its own mapped task, with a message naming the
account and the fix. Emits the Assets `warehouse.raw.yandex_market_*` when anything new landed, which
schedules `transform_dbt`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from sellerflow.orchestration.assets import WAREHOUSE_SCHEMA
from sellerflow.orchestration.defaults import DEFAULT_ARGS, START_DATE
from sellerflow.orchestration.marketplace_assets import raw_assets


@dag(
    schedule="*/10 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["sellerflow", "extract", "yandex_market"],
    doc_md=__doc__,
)
def extract_yandex_market():
    @task(outlets=[WAREHOUSE_SCHEMA])
    def migrate_warehouse() -> list[str]:
        """Apply pending warehouse migrations (idempotent)."""
        from sellerflow.warehouse.connection import default_dsn
        from sellerflow.warehouse.migrations import migrate

        return migrate(default_dsn())

    @task
    def list_accounts() -> list[str]:
        """Connection ids of the configured Yandex Market cabinets."""
        from sellerflow.orchestration.accounts import configured_accounts

        return configured_accounts("yandex_market")

    @task(pool="yandex_market", map_index_template="{{ conn_id }}")
    def extract_account(conn_id: str, run_id: str | None = None, data_interval_end=None) -> dict:
        """Run the due Yandex Market streams of one cabinet into raw.yandex_market_*."""
        from datetime import UTC, datetime

        from airflow.exceptions import AirflowFailException

        from sellerflow.extract.runner import AccountExtractionError
        from sellerflow.orchestration.marketplaces import extract_marketplace_account
        from sellerflow.warehouse.connection import default_dsn

        now = data_interval_end or datetime.now(UTC)
        try:
            return extract_marketplace_account(conn_id, default_dsn(), run_id or "manual", now)
        except AccountExtractionError as exc:
            if exc.permanent:  # a person must act: retrying would only repeat the refusal
                raise AirflowFailException(str(exc)) from None
            raise

    @task(trigger_rule="all_done", outlets=raw_assets("yandex_market"))
    def publish_assets(run_id: str | None = None) -> int:
        """Emit the raw Assets when any account landed new versions in this run (skip otherwise)."""
        from airflow.exceptions import AirflowSkipException

        from sellerflow.orchestration.marketplaces import new_versions_in_run
        from sellerflow.warehouse.connection import default_dsn

        landed = new_versions_in_run(default_dsn(), "yandex_market", run_id or "manual")
        if not landed:
            raise AirflowSkipException("no new versions landed in raw.yandex_market_* in this run")
        return landed

    @task
    def all_accounts_extracted() -> bool:
        """Fails the run (after the others landed) when any account's task failed."""
        return True

    extracted = extract_account.expand(conn_id=list_accounts())
    migrate_warehouse() >> extracted
    extracted >> publish_assets()
    extracted >> all_accounts_extracted()


extract_yandex_market()
