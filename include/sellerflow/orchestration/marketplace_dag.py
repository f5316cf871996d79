"""The extract DAG every marketplace shares, built once: ``build_extract_dag("ozon", ...)`` → ``extract_ozon``.

Shape: ``list_accounts`` (applies pending warehouse migrations, then lists the cabinets) → ``extract_account``
mapped over the marketplace's connections (one mapped task per account, all in the marketplace's pool) →
``publish_assets`` (emits the ``warehouse.raw.<marketplace>_*`` Assets when anything new landed, whatever the
accounts did) and ``all_accounts_extracted`` (an ``EmptyOperator`` the scheduler marks itself, no worker: it
fails the run when any account failed). Every task is a process on a worker, and a round of the five extract
DAGs competes for a few executor slots: the DAG has no task that does not need one. Each DAG file keeps its own
description as its module docstring and passes it in; the work itself lives in ``sellerflow.orchestration
.marketplaces`` and is imported inside the tasks, so parsing a DAG file stays cheap and offline.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, dag, task

from sellerflow.orchestration.accounts import MARKETPLACES
from sellerflow.orchestration.assets import WAREHOUSE_SCHEMA
from sellerflow.orchestration.defaults import EXTRACT_ARGS, START_DATE
from sellerflow.orchestration.marketplace_assets import raw_assets

if TYPE_CHECKING:
    from datetime import datetime


def build_extract_dag(marketplace: str, *, schedule: str, doc_md: str) -> DAG:
    """The ``extract_<marketplace>`` DAG, recorded as defined in the file that calls this function.

    ``schedule`` is the DAG's cron expression and ``doc_md`` its description in the UI (the DAG file's
    docstring). Raises ``ValueError`` for a marketplace sellerflow does not extract.
    """
    if marketplace not in MARKETPLACES:
        raise ValueError(f"unknown marketplace {marketplace!r} (known: {', '.join(MARKETPLACES)})")
    name = marketplace.replace("_", " ").title()  # "yandex_market" → "Yandex Market"

    @dag(
        dag_id=f"extract_{marketplace}",
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=EXTRACT_ARGS,
        tags=["sellerflow", "extract", marketplace],
        doc_md=doc_md,
    )
    def extract_marketplace() -> None:
        @task(
            outlets=[WAREHOUSE_SCHEMA],
            doc_md=f"Apply pending warehouse migrations, then list the configured {name} cabinets.",
        )
        def list_accounts() -> list[str]:
            """Apply pending warehouse migrations (idempotent), then the connection ids of the marketplace's
            configured cabinets."""
            from sellerflow.orchestration.accounts import accounts_after_migrating

            return accounts_after_migrating(marketplace)

        @task(
            pool=marketplace,
            map_index_template="{{ conn_id }}",
            doc_md=f"Run the due {name} streams of one cabinet into raw.{marketplace}_*.",
        )
        def extract_account(
            conn_id: str, run_id: str | None = None, data_interval_end: datetime | None = None
        ) -> dict:
            """Run the due streams of one cabinet into the marketplace's raw tables."""
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

        @task(trigger_rule="all_done", outlets=raw_assets(marketplace))
        def publish_assets(run_id: str | None = None) -> int:
            """Emit the raw Assets when any account landed new versions in this run (skip otherwise)."""
            from airflow.exceptions import AirflowSkipException

            from sellerflow.orchestration.marketplaces import new_versions_in_run
            from sellerflow.warehouse.connection import default_dsn

            landed = new_versions_in_run(default_dsn(), marketplace, run_id or "manual")
            if not landed:
                raise AirflowSkipException(f"no new versions landed in raw.{marketplace}_* in this run")
            return landed

        # Fails the run (after the others landed) when any account's task failed: upstream_failed, a leaf.
        all_accounts_extracted = EmptyOperator(
            task_id="all_accounts_extracted", doc_md="Fails the run when any account's extraction failed."
        )

        extracted = extract_account.expand(conn_id=list_accounts())
        extracted >> publish_assets()
        extracted >> all_accounts_extracted

    built = extract_marketplace()
    # @dag records the file of whoever called the decorated function, here this module; a DAG belongs to
    # the file that defines it (the UI shows it, `make demo` and the integrity tests find DAGs by it).
    built.fileloc = sys._getframe(1).f_code.co_filename
    return built
