"""
### extract_megamarket — Megamarket merchant API → `raw.megamarket_*`, every 10 minutes, for every cabinet

One mapped task per account listed under `megamarket` in the Variable `sellerflow_accounts` (Airflow
connection `mp_megamarket_<account>`: host = API URL, password = merchant API token, extra =
`account_id`, `merchant_id`, legal entity, `token_expires_at`, optional `horizon_days` /
`overlap_minutes` / `backfill_slice_days` / `rate_limits`), all in the pool `megamarket`. Each run is
cadence-aware: shipments (`order/search` ids → `order/get` in batches) with their status history and the
offers and list prices they show every run, open shipments re-read by id for status changes; the monthly
commission report (an XLSX download, parsed into rows) daily, each month re-read until its report is
final. Megamarket has no read method for stock or prices (only `stock/update` and `manualPrice/save`),
so there is no stock stream. The first run backfills 90 days in 30-day slices with an ETA in the log.
Requests go through one Postgres-backed rate limiter per cabinet and method group, shared with every
other run; `success: 0` answers inside HTTP 200 are errors (rate-limit ones retried). A failing account
fails only its own mapped task, with a message naming the account and the fix. Emits the Assets
`warehouse.raw.megamarket_*` when anything new landed, which schedules `transform_dbt`.
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
    tags=["sellerflow", "extract", "megamarket"],
    doc_md=__doc__,
)
def extract_megamarket():
    @task(outlets=[WAREHOUSE_SCHEMA])
    def migrate_warehouse() -> list[str]:
        """Apply pending warehouse migrations (idempotent)."""
        from sellerflow.warehouse.connection import default_dsn
        from sellerflow.warehouse.migrations import migrate

        return migrate(default_dsn())

    @task
    def list_accounts() -> list[str]:
        """Connection ids of the configured Megamarket cabinets."""
        from sellerflow.orchestration.accounts import configured_accounts

        return configured_accounts("megamarket")

    @task(pool="megamarket", map_index_template="{{ conn_id }}")
    def extract_account(conn_id: str, run_id: str | None = None, data_interval_end=None) -> dict:
        """Run the due Megamarket streams of one cabinet into raw.megamarket_*."""
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

    @task(trigger_rule="all_done", outlets=raw_assets("megamarket"))
    def publish_assets(run_id: str | None = None) -> int:
        """Emit the raw Assets when any account landed new versions in this run (skip otherwise)."""
        from airflow.exceptions import AirflowSkipException

        from sellerflow.orchestration.marketplaces import new_versions_in_run
        from sellerflow.warehouse.connection import default_dsn

        landed = new_versions_in_run(default_dsn(), "megamarket", run_id or "manual")
        if not landed:
            raise AirflowSkipException("no new versions landed in raw.megamarket_* in this run")
        return landed

    @task
    def all_accounts_extracted() -> bool:
        """Fails the run (after the others landed) when any account's task failed."""
        return True

    extracted = extract_account.expand(conn_id=list_accounts())
    migrate_warehouse() >> extracted
    extracted >> publish_assets()
    extracted >> all_accounts_extracted()


extract_megamarket()
