"""One rate limiter per (vendor, method group, account), shared by every task, DAG run and worker process.

Why Postgres-backed, not Airflow pools plus a per-process limiter: a pool caps how many *tasks* run at once,
not how many *requests per second* they send, and a limiter inside one process cannot see the requests of
the other Celery workers, of an overlapping DAG run (the 10-minute orders run meets the hourly stock run
and a backfill) or of the reverse-ETL sender drawing on the same cabinet's quota. The vendors count per
cabinet across all of these (Ozon 50 requests/s per Client-Id, WB 300/min per method group and 1/min on
the finance report, Yandex Market per-resource quotas and parallel caps), so the budget has to live where
every one of them can see it. The warehouse Postgres is already shared by all workers, transactional and
has row locks: a bucket is one row of ``ops.rate_limit_buckets`` (migration 0020), taken with
``SELECT … FOR UPDATE``, refilled by elapsed time on Postgres' own clock (one clock for all hosts) and
decremented; that costs about a millisecond per call, against vendor limits of at most 50 calls/s. Pools
are kept as a coarse cap on worker slots per vendor.

Buckets are token buckets: ``rate`` requests per ``window_s`` refilling continuously up to ``burst``. Both
are scaled by ``SAFETY`` (0.9), because the vendor's bucket sees our requests shifted by network jitter.
A vendor answer of 429/420 that the limiter did not foresee calls :meth:`PostgresLimiter.penalize`: the
bucket is emptied and blocked until the vendor's hint, for every process at once. Parallel-request caps
(Yandex Market's "N parallel requests") are session advisory locks, one per slot, which Postgres frees by
itself when a worker dies.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

import psycopg
from psycopg.rows import tuple_row

logger = logging.getLogger(__name__)

SAFETY = 0.9
DEFAULT_GROUP = "default"


@dataclass(frozen=True)
class Limit:
    """A vendor limit: ``rate`` requests per ``window_s``, bucket size ``burst``, at most ``parallel`` in flight."""

    rate: float
    window_s: float
    burst: float | None = None
    parallel: int | None = None
    source: str = ""

    @property
    def refill_per_s(self) -> float:
        """Tokens per second after the safety margin."""
        return self.rate / self.window_s * SAFETY

    @property
    def capacity(self) -> float:
        """Bucket size after the safety margin (at least one request)."""
        return max(1.0, math.floor((self.burst if self.burst is not None else self.rate) * SAFETY))


def _wb(rate: float, window_s: float, burst: float, what: str) -> Limit:
    return Limit(rate, window_s, burst, None, f"WB limits article (2026-04-03): {what}")


def _ym(rate: float, window_s: float, what: str, parallel: int | None = None) -> Limit:
    # YM counts fixed, aligned windows: a bucket holding a tenth of the quota (plus the refill) can never
    # put more than the quota into one window, where a full bucket could nearly double it.
    return Limit(rate, window_s, max(1.0, rate / 10), parallel, f"YM openapi x-resource-limit-config: {what}")


# Documented limits per vendor and method group (sources: /work/shared/docs/sources/*.md). A connection can
# override any of them through its extra ``rate_limits`` (see sellerflow.orchestration.marketplaces).
KNOWN_LIMITS: dict[str, dict[str, Limit]] = {
    "ozon": {
        DEFAULT_GROUP: Limit(50, 1.0, 50, None, "Ozon: 50 requests/second per Client-Id, all methods"),
        "stocks_update": Limit(80, 60.0, 80, None, "Ozon /v2/products/stocks: 80 requests/minute"),
    },
    "wildberries": {
        DEFAULT_GROUP: _wb(300, 60.0, 20, "Marketplace 300/min, burst 20"),
        "marketplace": _wb(300, 60.0, 20, "Marketplace 300/min, burst 20"),
        "content": _wb(100, 60.0, 5, "Content 100/min, burst 5"),
        "prices": _wb(10, 6.0, 5, "Prices 10 per 6 s, burst 5"),
        "statistics_orders": _wb(1, 60.0, 10, "supplier/orders 1/min, burst 10"),
        "statistics_sales": _wb(1, 60.0, 1, "supplier/sales 1/min, burst 1"),
        "finance_reports": _wb(1, 60.0, 1, "finance sales-reports 1/min, burst 1 (whole family)"),
        "stocks": _wb(300, 60.0, 20, "seller stocks 300/min, burst 20"),
        "warehouses": _wb(300, 60.0, 20, "seller warehouses 300/min, burst 20"),
        "orders_cancel": _wb(100, 60.0, 20, "FBS order cancel 100/min, burst 20"),
        "reports_legacy": _wb(1, 60.0, 1, "v5 reportDetailByPeriod 1/min"),
        "common": _wb(3, 30.0, 3, "/ping 3 per 30 s"),
        "seller_info": _wb(1, 60.0, 10, "/api/v1/seller-info 1/min, burst 10"),
    },
    "yandex_market": {
        DEFAULT_GROUP: _ym(10_000, 3600.0, "default hourly quota"),
        # Every call also takes a slot here: the cap is per campaign/business across all methods (docs
        # concepts/limits: 4 parallel requests; the spec says 6 for orders, so 4 is the safe side).
        "parallel": Limit(1e6, 1.0, None, 4, "YM docs concepts/limits: 4 parallel requests"),
        "auth_token": _ym(100, 3600.0, "getAuthTokenInfo 100/h"),
        "campaigns": _ym(1000, 3600.0, "getCampaigns 1000/h"),
        "warehouses": _ym(100, 3600.0, "getPagedWarehouses 100/h"),
        "offer_mappings": _ym(100, 60.0, "getOfferMappings 100/min"),
        "orders": _ym(10_000, 3600.0, "getOrders/getBusinessOrders 10000/h"),
        # The stock and price reads' quotas count the answer's items (path resp.result.warehouses.offers.offerId /
        # resp.result.offers): the YM client spends a page's limit, and the streams page to the bucket.
        "stocks": _ym(100_000, 60.0, "getStocks 100000 products (answer items)/min"),
        "prices": _ym(
            5_000, 60.0, "getDefaultPrices 5000 products (answer items)/min (10000 with a subscription)"
        ),
        # The writes' quotas count products, not requests (path req.skus / req.offers; docs updateStocks
        # "100 000 products per minute"): the YM client spends one token per SKU/offer of the body.
        "stocks_update": _ym(100_000, 60.0, "updateStocks 100000 products (req.skus)/min"),
        "prices_update": _ym(10_000, 60.0, "updateBusinessPrices 10000 products (req.offers)/min"),
        "reports_generate": _ym(1, 120.0, "goods-realization generate 1 per 2 min"),
        "report_info": _ym(100, 60.0, "getReportInfo 100/min"),
    },
    "megamarket": {
        DEFAULT_GROUP: Limit(600, 60.0, 50, None, "unpublished; a conservative assumption"),
    },
}


@dataclass(frozen=True)
class Grant:
    """A granted request: how long the caller waited and what is left in the bucket."""

    waited_s: float
    tokens_left: float
    capacity: float


class Limiter(Protocol):
    """What a client needs from a limiter."""

    def acquire(self, vendor: str, group: str, account: str, cost: float = 1.0) -> Grant:
        """Block until the call may go out; take its tokens (and a parallel slot)."""
        ...

    def release(self, vendor: str, group: str, account: str) -> None:
        """The call is answered: free its parallel slot."""
        ...

    def penalize(self, vendor: str, group: str, account: str, seconds: float) -> None:
        """The vendor refused a call for its limit: stop everyone for ``seconds``."""
        ...


class NullLimiter:
    """No limit at all (benchmarks of raw throughput, and the control case of the limiter test)."""

    def acquire(self, vendor: str, group: str, account: str, cost: float = 1.0) -> Grant:
        """Grant at once."""
        return Grant(0.0, math.inf, math.inf)

    def release(self, vendor: str, group: str, account: str) -> None:
        """Nothing to free."""

    def penalize(self, vendor: str, group: str, account: str, seconds: float) -> None:
        """Ignored."""


def faster_overrides(vendor: str, factor: float) -> dict[str, dict[str, Any]]:
    """A connection's ``rate_limits`` extra that runs every known limit of ``vendor`` ``factor`` times faster
    (same rate, burst and parallel cap, a window ``factor`` times shorter): the demo pace and the tests use it."""
    return {
        group: {
            "rate": limit.rate,
            "window_s": limit.window_s / factor,
            "burst": limit.burst,
            "parallel": limit.parallel,
        }
        for group, limit in KNOWN_LIMITS.get(vendor, {}).items()
    }


def resolve_limits(vendor: str, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Limit]:
    """The vendor's known limits with per-connection overrides (``{"group": {"rate": .., "window_s": ..}}``)."""
    limits = dict(KNOWN_LIMITS.get(vendor, {}))
    for group, spec in (overrides or {}).items():
        base = limits.get(group) or limits.get(DEFAULT_GROUP) or Limit(1, 1.0)
        try:
            limits[group] = replace(
                base,
                rate=float(spec.get("rate", base.rate)),
                window_s=float(spec.get("window_s", base.window_s)),
                burst=None if spec.get("burst") is None else float(spec["burst"]),
                parallel=None if spec.get("parallel") is None else int(spec["parallel"]),
                source="connection override",
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"rate_limits.{group}: give numbers for rate/window_s/burst/parallel") from exc
    return limits


def _lock_key(vendor: str, group: str, account: str) -> int:
    digest = hashlib.sha256(f"sellerflow.ratelimit:{vendor}:{group}:{account}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


class PostgresLimiter:
    """Token buckets in ``ops.rate_limit_buckets``; safe across threads, processes and hosts."""

    def __init__(self, dsn: str, limits: Mapping[str, Mapping[str, Limit]] | None = None) -> None:
        self.dsn = dsn
        self.limits = {v: dict(g) for v, g in (limits or KNOWN_LIMITS).items()}
        self._local = threading.local()

    def limit(self, vendor: str, group: str) -> Limit | None:
        """The limit of a group: its own, else the vendor default, else None (unlimited)."""
        groups = self.limits.get(vendor, {})
        return groups.get(group) or groups.get(DEFAULT_GROUP)

    def with_limits(self, vendor: str, limits: Mapping[str, Limit]) -> PostgresLimiter:
        """The same buckets, connection and parallel slots, with ``vendor``'s limits replaced (one connection's
        ``rate_limits`` overrides, for a sender that serves many connections with one limiter)."""
        view = copy.copy(self)
        view.limits = {**self.limits, vendor: dict(limits)}
        return view

    def _conn(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.dsn, autocommit=True, application_name="sellerflow-ratelimit")
            self._local.conn = conn
            self._local.slots = {}
        return conn

    def close(self) -> None:
        """Close this thread's connection (parallel slots are freed with it)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _take(self, vendor: str, group: str, account: str, limit: Limit, cost: float) -> tuple[float, float]:
        """One attempt: (seconds to wait, tokens left); 0 seconds means granted."""
        conn = self._conn()
        with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(
                "insert into ops.rate_limit_buckets (source, account_id, method_group, tokens) "
                "values (%s, %s, %s, %s) on conflict do nothing",
                (vendor, account, group, limit.capacity),
            )
            cur.execute(
                "select tokens, extract(epoch from clock_timestamp() - refilled_at)::float8, "
                "coalesce(extract(epoch from blocked_until - clock_timestamp())::float8, 0) "
                "from ops.rate_limit_buckets where source = %s and account_id = %s and method_group = %s "
                "for update",
                (vendor, account, group),
            )
            row = cur.fetchone()
            assert row is not None
            tokens, elapsed, blocked = float(row[0]), max(0.0, float(row[1])), float(row[2])
            tokens = min(limit.capacity, tokens + elapsed * limit.refill_per_s)
            granted = blocked <= 0 and tokens >= cost
            if granted:
                tokens -= cost
            cur.execute(
                "update ops.rate_limit_buckets set tokens = %s, refilled_at = clock_timestamp(), "
                "calls = calls + %s where source = %s and account_id = %s and method_group = %s",
                (tokens, 1 if granted else 0, vendor, account, group),
            )
        if granted:
            return 0.0, tokens
        return max(blocked, (cost - tokens) / limit.refill_per_s), tokens

    def acquire(self, vendor: str, group: str, account: str, cost: float = 1.0) -> Grant:
        """Block until the bucket has ``cost`` tokens (and a parallel slot is free), then take them."""
        limit = self.limit(vendor, group)
        if limit is None:
            return Grant(0.0, math.inf, math.inf)
        if cost > limit.capacity:  # it would wait forever: the caller must split the call
            raise ValueError(
                f"{vendor} {group}: a call of {cost:g} units never fits the bucket of {limit.capacity:g}; "
                "send smaller batches"
            )
        started = time.monotonic()
        while True:
            wait, tokens = self._take(vendor, group, account, limit, cost)
            if wait <= 0:
                break
            time.sleep(wait + random.uniform(0, min(0.05, wait)))
        if limit.parallel:
            self._hold_slot(vendor, group, account, limit.parallel)
        return Grant(time.monotonic() - started, tokens, limit.capacity)

    def _hold_slot(self, vendor: str, group: str, account: str, parallel: int) -> None:
        key = _lock_key(vendor, group, account)
        conn = self._conn()
        while True:
            for slot in range(parallel):
                row = conn.execute("select pg_try_advisory_lock(%s, %s)", (key, slot)).fetchone()
                if row and row[0]:
                    self._local.slots.setdefault((vendor, group, account), []).append(slot)
                    return
            time.sleep(0.02 + random.uniform(0, 0.02))

    def release(self, vendor: str, group: str, account: str) -> None:
        """Free the parallel slot this thread holds for the group, if any."""
        slots = getattr(self._local, "slots", {}).get((vendor, group, account))
        if slots:
            slot = slots.pop()
            self._conn().execute(
                "select pg_advisory_unlock(%s, %s)", (_lock_key(vendor, group, account), slot)
            )

    def penalize(self, vendor: str, group: str, account: str, seconds: float) -> None:
        """Empty the bucket and block it for ``seconds`` (at least one refill of one token)."""
        limit = self.limit(vendor, group)
        if limit is None:
            return
        seconds = max(seconds, 1.0 / limit.refill_per_s)
        with self._conn().transaction():
            self._conn().execute(
                "insert into ops.rate_limit_buckets as b (source, account_id, method_group, tokens, blocked_until) "
                "values (%s, %s, %s, 0, clock_timestamp() + make_interval(secs => %s)) "
                "on conflict (source, account_id, method_group) do update set tokens = 0, "
                "refilled_at = clock_timestamp(), "
                "blocked_until = greatest(b.blocked_until, excluded.blocked_until), "
                "refusals = b.refusals + 1",
                (vendor, account, group, seconds),
            )
        logger.warning(
            "%s %s: the vendor refused a call for its rate limit; group %r of account %s paused for %.1f s",
            vendor,
            group,
            group,
            account,
            seconds,
        )
