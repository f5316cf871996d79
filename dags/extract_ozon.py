"""
### extract_ozon — Ozon Seller API → `raw.ozon_*`, every 10 minutes, for every Ozon cabinet

One mapped task per account listed under `ozon` in the Variable `sellerflow_accounts` (Airflow
connection `mp_ozon_<account>`: host = API URL, login = Client-Id, password = API key, extra =
`account_id`, legal entity, `token_expires_at`, optional `horizon_days` / `overlap_minutes` /
`rate_limits`), all in the pool `ozon`. Each run is cadence-aware: postings (FBS, FBO and their
status history) every run, stock and prices hourly, products, warehouses and the monthly realization
report daily (a month is re-read until its report is final). The first run backfills 90 days in
30-day slices with an ETA in the log. Requests go through one Postgres-backed rate limiter per
cabinet, shared with every other run. A failing account fails only its own mapped task, with a
message naming the account and the fix; the other accounts still land. Emits the Assets
`warehouse.raw.ozon_*` when anything new landed, which schedules `transform_dbt`.
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
    tags=["sellerflow", "extract", "ozon"],
    doc_md=__doc__,
)
def extract_ozon():
    @task(outlets=[WAREHOUSE_SCHEMA])
    def migrate_warehouse() -> list[str]:
        """Apply pending warehouse migrations (idempotent)."""
        from sellerflow.warehouse.connection import default_dsn
        from sellerflow.warehouse.migrations import migrate

        return migrate(default_dsn())

    @task
    def list_accounts() -> list[str]:
        """Connection ids of the configured Ozon cabinets."""
        from sellerflow.orchestration.accounts import configured_accounts

        return configured_accounts("ozon")

    @task(pool="ozon", map_index_template="{{ conn_id }}")
    def extract_account(conn_id: str, run_id: str | None = None, data_interval_end=None) -> dict:
        """Run the due Ozon streams of one cabinet into raw.ozon_*."""
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

    @task(trigger_rule="all_done", outlets=raw_assets("ozon"))
    def publish_assets(run_id: str | None = None) -> int:
        """Emit the raw Assets when any account landed new versions in this run (skip otherwise)."""
        from airflow.exceptions import AirflowSkipException

        from sellerflow.orchestration.marketplaces import new_versions_in_run
        from sellerflow.warehouse.connection import default_dsn

        landed = new_versions_in_run(default_dsn(), "ozon", run_id or "manual")
        if not landed:
            raise AirflowSkipException("no new versions landed in raw.ozon_* in this run")
        return landed

    @task
    def all_accounts_extracted() -> bool:
        """Fails the run (after the others landed) when any account's task failed."""
        return True

    extracted = extract_account.expand(conn_id=list_accounts())
    migrate_warehouse() >> extracted
    extracted >> publish_assets()
    extracted >> all_accounts_extracted()


extract_ozon()
