"""What the Yandex Market streams share: cursor paging, Moscow dates, the cabinet's campaigns, scopes.

Paging (docs concepts/pagination; spec ``AliasedPageToken``): query ``page_token`` + ``limit``, answer
``paging.nextPageToken`` (inside ``result`` for the wrapped answers), absent on the last page. ``limit`` maxima per method come from the spec's
``PageLimit*`` parameters (orders 50, campaigns and offer mappings 100, stocks 200, prices 500,
warehouses 30). Creation-date filters take Moscow calendar dates (``YYYY-MM-DD``): the API's day is
Moscow's. Access groups per method are the spec's ``x-auth-scopes``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import psycopg
from psycopg import sql

from sellerflow.extract.stream import RunContext
from sellerflow.sources._http.paging import CursorPaginator, iter_pages
from sellerflow.warehouse.identifiers import table_name

MSK = timezone(timedelta(hours=3))
SOURCE = "yandex_market"


def msk_date(moment: datetime) -> date:
    """The Moscow calendar date of a moment."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(MSK).date()


def paged(
    ctx: RunContext,
    method: str,
    path: str,
    items_field: str,
    limit: int,
    body: dict[str, Any] | None = None,
) -> Iterator[tuple[list[Any], Any]]:
    """``(items, raw page)`` per call of a ``page_token`` listing, one page in memory at a time."""
    # Bare answers (orders, campaigns) carry ``paging`` beside the items, wrapped ones inside ``result``.
    wrapper = items_field.rpartition(".")[0]
    cursor = f"{wrapper}.paging.nextPageToken" if wrapper else "paging.nextPageToken"
    paginator = CursorPaginator(items_field, "page_token", cursor)

    def fetch(fields: dict[str, Any]) -> Any:
        params: dict[str, Any] = {"limit": limit}
        if fields.get("page_token"):
            params["page_token"] = fields["page_token"]
        if method == "GET":
            return ctx.client.request("GET", path, params=params)
        return ctx.client.request(method, path, json=body or {}, params=params)

    yield from iter_pages(fetch, paginator)


def latest_values(ctx: RunContext, entity: str, sql_fields: sql.SQL) -> list[tuple[Any, ...]]:
    """``select <sql_fields>`` over the latest version of every key of ``raw.yandex_market_<entity>``
    (``sql_fields``: ``sql.SQL`` written in the caller's code)."""
    table = table_name(SOURCE, entity)
    with psycopg.connect(ctx.dsn) as conn:
        exists = conn.execute("select to_regclass(%s) is not null", (f"raw.{table}",)).fetchone()
        if not exists or not exists[0]:
            return []
        query = sql.SQL(
            "select {fields} from (select distinct on (natural_key) payload from {table} "
            "where account_id = %s order by natural_key, extracted_at desc, id desc) latest"
        ).format(fields=sql_fields, table=sql.Identifier("raw", table))
        return conn.execute(query, (ctx.account.account_id,)).fetchall()


def campaign_ids(ctx: RunContext) -> list[int]:
    """The cabinet's campaigns: as landed by the campaigns stream, else asked from ``GET /v2/campaigns``."""
    landed = sorted({int(r[0]) for r in latest_values(ctx, "campaigns", sql.SQL("payload->>'id'")) if r[0]})
    if landed:
        return landed
    found: set[int] = set()
    for items, _ in paged(ctx, "GET", "/v2/campaigns", "campaigns", 100):
        found.update(int(c["id"]) for c in items if isinstance(c, dict) and c.get("id") is not None)
    return sorted(found)


# Access groups that open each method: the spec's x-auth-scopes (docs/vendors/yandex_market.md "Access scopes";
# tests/contracts/yandex_market/test_quotas_and_scopes.py holds each tuple equal to the vendored spec). The YM
# emulator serves these same tuples (sellerflow_emulators.yandex_market.operations imports them).
READ_ANY = (  # getCampaigns, getCampaign, getAuthTokenInfo, getReportInfo
    "all-methods",
    "all-methods:read-only",
    "settings-management",
    "finance-and-accounting",
    "offers-and-cards-management",
    "offers-and-cards-management:read-only",
    "pricing",
    "pricing:read-only",
    "inventory-and-order-processing",
    "inventory-and-order-processing:read-only",
    "promotion",
    "promotion:read-only",
    "communication",
    "supplies-management:read-only",
)
ORDERS_READ = (  # getBusinessOrders (getOrders/getOrder also admit "communication")
    "all-methods",
    "all-methods:read-only",
    "inventory-and-order-processing",
    "inventory-and-order-processing:read-only",
    "finance-and-accounting",
)
WAREHOUSES_READ = ORDERS_READ[:4]  # getPagedWarehouses, getWarehouses
OFFERS_READ = (  # getOfferMappings, getStocks
    "all-methods",
    "all-methods:read-only",
    "offers-and-cards-management",
    "offers-and-cards-management:read-only",
)
PRICES_READ = ("all-methods", "all-methods:read-only", "pricing", "pricing:read-only")  # getDefaultPrices
FINANCE_READ = ("all-methods", "all-methods:read-only", "finance-and-accounting")  # report generation


def scope_name(api_value: str) -> str:
    """``ALL_METHODS_READ_ONLY`` (ApiKeyScopeType) → ``all-methods:read-only`` (the x-auth-scopes form)."""
    text = api_value.strip().lower()
    read_only = text.endswith("_read_only")
    if read_only:
        text = text[: -len("_read_only")]
    return text.replace("_", "-") + (":read-only" if read_only else "")
