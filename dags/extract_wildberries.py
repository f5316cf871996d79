"""
### extract_wildberries — Wildberries seller APIs → `raw.wildberries_*`, every 10 minutes, for every cabinet

One mapped task per account listed under `wildberries` in the Variable `sellerflow_accounts` (Airflow
connection `mp_wildberries_<account>`: host = `https://marketplace-api.wildberries.ru` (each API family is
then called on its own WB host) or one base URL serving them all (the emulator, a proxy), password = the
API token, extra = `account_id`, legal entity, optional `hosts` / `horizon_days` / `overlap_minutes` /
`backfill_slice_days` / `lookback_days` / `rate_limits`), all in the pool `wildberries`. The token's
expiry and categories are read from the token itself (a JWT) and stored in `ops.account_credentials`.
Each run is cadence-aware: FBS assembly tasks (`/api/v3/orders`, the `/new` list and the status of every
open task) and the statistics feeds of orders and sales of every scheme (FBO included) every run; stock
per seller warehouse, prices and card changes hourly; warehouses daily; the weekly realization report on
WB's calendar (asked from Monday 08:00 MSK hourly until it is out, then daily until it settles). The first
run backfills 90 days (FBS tasks in ≤ 30-day slices, with an ETA in the log). Requests go through one
Postgres-backed rate limiter per cabinet and WB method group (statistics and finance allow 1 call a
minute), shared with every other run; 429 answers are retried after `X-Ratelimit-Retry`. A failing
account (expired token, missing category, Basic token on finance) fails only its own mapped task, with a
message naming the account and the fix. Emits the Assets `warehouse.raw.wildberries_*` when anything new
landed, which schedules `transform_dbt`.
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
    tags=["sellerflow", "extract", "wildberries"],
    doc_md=__doc__,
)
def extract_wildberries():
    @task(outlets=[WAREHOUSE_SCHEMA])
    def migrate_warehouse() -> list[str]:
        """Apply pending warehouse migrations (idempotent)."""
        from sellerflow.warehouse.connection import default_dsn
        from sellerflow.warehouse.migrations import migrate

        return migrate(default_dsn())

    @task
    def list_accounts() -> list[str]:
        """Connection ids of the configured Wildberries cabinets."""
        from sellerflow.orchestration.accounts import configured_accounts

        return configured_accounts("wildberries")

    @task(pool="wildberries", map_index_template="{{ conn_id }}")
    def extract_account(conn_id: str, run_id: str | None = None, data_interval_end=None) -> dict:
        """Run the due Wildberries streams of one cabinet into raw.wildberries_*."""
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

    @task(trigger_rule="all_done", outlets=raw_assets("wildberries"))
    def publish_assets(run_id: str | None = None) -> int:
        """Emit the raw Assets when any account landed new versions in this run (skip otherwise)."""
        from airflow.exceptions import AirflowSkipException

        from sellerflow.orchestration.marketplaces import new_versions_in_run
        from sellerflow.warehouse.connection import default_dsn

        landed = new_versions_in_run(default_dsn(), "wildberries", run_id or "manual")
        if not landed:
            raise AirflowSkipException("no new versions landed in raw.wildberries_* in this run")
        return landed

    @task
    def all_accounts_extracted() -> bool:
        """Fails the run (after the others landed) when any account's task failed."""
        return True

    extracted = extract_account.expand(conn_id=list_accounts())
    migrate_warehouse() >> extracted
    extracted >> publish_assets()
    extracted >> all_accounts_extracted()


extract_wildberries()
