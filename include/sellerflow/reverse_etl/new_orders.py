"""The hot path's first step: poll each cabinet's new-order list and land it in raw, as every stream does.

One stream per marketplace (all of them one call or a few, every minute): Ozon
``/v4/posting/fbs/unfulfilled/list`` (:mod:`sellerflow.sources.ozon.new_orders`), Wildberries
``/api/v3/orders/new`` (the existing ``orders_fbs_new`` stream), Yandex Market business orders in
``PROCESSING`` and Megamarket shipments in ``NEW``/``CONFIRMED``. They run through the usual runner
(:class:`sellerflow.extract.runner.StreamRunner`: raw versions by hash, ``ops.sync_state``, quarantine) with
the cabinet's client and the shared Postgres rate limiter, so the minute polls and the 10-minute extraction
draw on one budget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from sellerflow.extract.runner import StreamRunner, summary
from sellerflow.extract.stream import RunContext, Stream
from sellerflow.extract.vendors import vendor
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.ratelimit import Limiter, PostgresLimiter, resolve_limits
from sellerflow.warehouse.identifiers import table_name
from sellerflow.warehouse.loader import ensure_raw_table

logger = logging.getLogger(__name__)


def _ozon() -> Stream:
    from sellerflow.sources.ozon.new_orders import OzonPostingsFbsUnfulfilled

    return OzonPostingsFbsUnfulfilled()


def _wildberries() -> Stream:
    from sellerflow.sources.wildberries.marketplace import WbOrdersFbsNew

    return WbOrdersFbsNew()


def _yandex_market() -> Stream:
    from sellerflow.sources.yandex_market.new_orders import YandexMarketOrdersProcessing

    return YandexMarketOrdersProcessing()


def _megamarket() -> Stream:
    from sellerflow.sources.megamarket.new_orders import MegamarketShipmentsNew

    return MegamarketShipmentsNew()


NEW_ORDER_STREAMS: dict[str, Callable[[], Stream]] = {
    "ozon": _ozon,
    "wildberries": _wildberries,
    "yandex_market": _yandex_market,
    "megamarket": _megamarket,
}
# Every raw table the reservations model reads: the new-order lists, and the status histories (cancellations).
RAW_TABLES = (
    ("ozon", "postings_fbs_unfulfilled"),
    ("wildberries", "orders_fbs_new"),
    ("yandex_market", "orders_processing"),
    ("megamarket", "shipments_new"),
    ("ozon", "posting_statuses"),
    ("wildberries", "order_statuses"),
    ("yandex_market", "order_statuses"),
    ("megamarket", "shipment_statuses"),
)
NEW_ORDER_TABLES = RAW_TABLES[:4]


def ensure_tables(dsn: str) -> None:
    """Create the raw tables the model reads when no stream has yet, and an index on the lists' landing time
    (the model reads only the last days of each list)."""
    for source, entity in RAW_TABLES:
        ensure_raw_table(dsn, source, entity)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for source, entity in NEW_ORDER_TABLES:
            name = table_name(source, entity)
            conn.execute(
                sql.SQL("create index if not exists {} on {} (extracted_at)").format(
                    sql.Identifier(f"{name}_landed_idx"[:63]), sql.Identifier("raw", name)
                )
            )


def poll_new_orders(
    account: MarketplaceAccount,
    dsn: str,
    run_id: str,
    now: datetime,
    *,
    limiter: Limiter | None = None,
    client_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Land the cabinet's new-order list; XCom-safe counts."""
    stream = NEW_ORDER_STREAMS[account.source]()
    spec = vendor(account.source)
    own_limiter = limiter is None
    if limiter is None:
        limiter = PostgresLimiter(dsn, {account.source: resolve_limits(account.source, account.rate_limits)})
    try:
        with spec.client(account, limiter, **(client_options or {})) as client:
            ctx = RunContext(account=account, client=client, dsn=dsn, run_id=run_id, now=now)
            results = StreamRunner(ctx).run([stream], force=True)
            out = summary(results)
            out.update(account_id=account.account_id, api_calls=client.stats.calls)
    finally:
        if own_limiter and isinstance(limiter, PostgresLimiter):
            limiter.close()
    logger.info(
        "%s/%s %s: %d records, %d new versions",
        account.source,
        account.account_id,
        stream.name,
        out["records"],
        out["new_versions"],
    )
    return out
