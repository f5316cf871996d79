"""Entry points the extract_onec DAG calls per 1C base and group: catalogs (+ prices), documents, stock.

Each opens one :class:`~sellerflow.sources.onec.OneCClient` (requests to a base are sequential inside a task;
the Airflow pool ``onec`` bounds how many tasks talk to 1C at once) and runs the group's streams through the
marketplaces' runner, every time it is called (the DAG decides which groups are due: :mod:`.schedule`). It
returns what :func:`~sellerflow.extract.account.extract_account` returns: per-stream results, totals and the
HTTP requests made (``api_calls``). A 1C error stops the task at once with 1C's code and message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sellerflow.extract.runner import StreamRunner, account_summary
from sellerflow.sources.onec.base import OneCBase
from sellerflow.sources.onec.client import OneCClient
from sellerflow.sources.onec.context import OneCContext, OneCStream
from sellerflow.sources.onec.streams import CATALOG_STREAMS, DOCUMENT_STREAMS, ORGANIZATIONS, STOCK


def extract_streams(
    base: OneCBase, dsn: str, run_id: str, now: datetime, streams: Sequence[OneCStream]
) -> dict[str, Any]:
    """Run ``streams`` over one base up to ``now`` (the run's reference time, tz-aware); XCom-safe counts."""
    with OneCClient(base) as client:
        ctx = OneCContext(account=base, client=client, dsn=dsn, run_id=run_id, now=now)
        return account_summary(ctx, StreamRunner(ctx).run(streams, force=True))


def extract_catalogs(
    base: OneCBase,
    dsn: str,
    run_id: str,
    observed_at: datetime,
    streams: Sequence[OneCStream] = CATALOG_STREAMS,
) -> dict[str, Any]:
    """Catalogs, barcodes, storage cells, partners, organizations and prices: land what changed."""
    ordered = sorted(streams, key=lambda s: s is not ORGANIZATIONS)  # the others' context needs them
    return extract_streams(base, dsn, run_id, observed_at, ordered)


def extract_stock(base: OneCBase, dsn: str, run_id: str, observed_at: datetime) -> dict[str, Any]:
    """Stock balances (ТоварыНаСкладах/Balance): land the rows that changed."""
    return extract_streams(base, dsn, run_id, observed_at, (STOCK,))


def extract_documents(base: OneCBase, dsn: str, run_id: str, as_of: datetime) -> dict[str, Any]:
    """Customer orders, shipments and returns: one incremental cycle each."""
    return extract_streams(base, dsn, run_id, as_of, DOCUMENT_STREAMS)
