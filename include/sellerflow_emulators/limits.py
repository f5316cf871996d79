"""Rate limits per (vendor, method group, account), with each vendor's documented defaults.

Two kinds of window, as the vendors describe them:

- token bucket (``burst`` set): ``limit`` requests per ``window_s`` refill continuously up to
  ``burst`` — Wildberries' "Period / Limit / Interval / Burst" model (ozon-wildberries.md,
  "Rate limits") and Ozon's 50 requests/second per Client-Id;
- fixed window (``burst`` None): ``limit`` requests per aligned window — Yandex Market's
  per-resource hourly/minute quotas with ``X-RateLimit-Resource-Until`` (part A1).

``parallel`` caps requests in flight (Yandex Market's "N parallel requests"; a group may have
only that cap, ``limit=None``); the vendor app calls :meth:`RateLimiter.release` when an
allowed request ends. The limiter only decides;
each vendor app renders a refusal in its own way (WB 429, YM 420, MM success=0, ...).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class LimitDecision:
    """Outcome of one rate-limit check for (vendor, method group, account)."""

    allowed: bool
    limit: int  # requests allowed per window
    remaining: int  # requests left in the current window after this one
    retry_after_s: float  # seconds until a retry can succeed (0 when allowed)
    reset_at: datetime  # when the window refills completely
    window_s: float  # window length in seconds


@dataclass(frozen=True)
class LimitConfig:
    """The limit of one method group."""

    limit: int | None  # requests per window; None = only the parallel cap applies
    window_s: float
    burst: int | None = None  # token-bucket capacity; None = fixed window
    parallel: int | None = None
    source: str = ""


def _wb(limit: int, window_s: float, burst: int, what: str) -> LimitConfig:
    return LimitConfig(limit, window_s, burst, None, f"WB limits article (2026-04-03): {what}")


def _ym(limit: int, window_s: float, what: str) -> LimitConfig:
    return LimitConfig(limit, window_s, None, None, f"YM openapi x-resource-limit-config: {what}")


_HOUR, _MINUTE = 3600.0, 60.0
_OZON_GLOBAL = LimitConfig(50, 1.0, 50, None, "Ozon: 50 requests/second per Client-Id across all methods")
_WB_MARKETPLACE = _wb(300, 60.0, 20, "Marketplace 300/min, interval 200 ms, burst 20")

# Group names are the ones the vendor apps pass to acquire(); an unknown group falls back to
# the vendor's "default".
DEFAULT_LIMITS: dict[str, dict[str, LimitConfig]] = {
    "ozon": {
        "default": _OZON_GLOBAL,
        "global": _OZON_GLOBAL,
        "products_stocks": LimitConfig(80, 60.0, 80, None, "Ozon /v2/products/stocks: 80 requests/minute"),
    },
    "wildberries": {
        "default": _WB_MARKETPLACE,
        "marketplace": _WB_MARKETPLACE,
        "stocks": _WB_MARKETPLACE,
        "warehouses": _WB_MARKETPLACE,
        "orders_cancel": _wb(100, 60.0, 20, "order cancel 100/min, burst 20"),
        "content": _wb(100, 60.0, 5, "Content 100/min, burst 5"),
        "prices": _wb(10, 6.0, 5, "Prices 10 per 6 s, burst 5"),
        "statistics_orders": _wb(1, 60.0, 10, "supplier/orders 1/min, burst 10"),
        "statistics_sales": _wb(1, 60.0, 1, "supplier/sales 1/min, burst 1"),
        "finance_reports": _wb(1, 60.0, 1, "finance sales-reports 1/min, burst 1 (whole family)"),
        "reports_legacy": _wb(1, 60.0, 1, "v5 reportDetailByPeriod 1/min"),
        "common": _wb(3, 30.0, 3, "/ping 3 per 30 s"),
        "seller_info": _wb(1, 60.0, 10, "/api/v1/seller-info 1/min, burst 10"),
    },
    "yandex_market": {
        # Per campaign/business parallel cap: the spec's parallel-limit-value for orders is 6,
        # newer docs say 4 (yandex-market-megamarket-1c.md, uncertainty 2); override if needed.
        "parallel": LimitConfig(None, 1.0, None, 6, "YM parallel requests per campaign/business"),
        "default": _ym(10_000, _HOUR, "default hourly quota (assumption)"),
        "getCampaigns": _ym(1000, _HOUR, "getCampaigns 1000/h"),
        "getCampaign": _ym(5000, _HOUR, "getCampaign 5000/h"),
        "getAuthTokenInfo": _ym(100, _HOUR, "getAuthTokenInfo 100/h"),
        "getOfferMappings": _ym(100, _MINUTE, "getOfferMappings 100/min"),
        "getPagedWarehouses": _ym(100, _HOUR, "getPagedWarehouses 100/h"),
        "getWarehouses": _ym(100, _MINUTE, "getWarehouses 100/min"),
        "getOrders": _ym(10_000, _HOUR, "getOrders 10000/h"),
        "getOrder": _ym(10_000, _HOUR, "getOrder 10000/h"),
        "getBusinessOrders": _ym(10_000, _HOUR, "getBusinessOrders 10000/h"),
        "updateOrderStatus": _ym(10_000, _HOUR, "updateOrderStatus 10000/h"),
        "updateOrderStatuses": _ym(10_000, _HOUR, "updateOrderStatuses 10000 orders/h"),
        "getStocks": _ym(100_000, _MINUTE, "getStocks 100000 answer items (resp…offers.offerId)/min"),
        "updateStocks": _ym(100_000, _MINUTE, "updateStocks 100000 SKUs (req.skus)/min: units are products"),
        "getDefaultPrices": _ym(5000, _MINUTE, "getDefaultPrices 5000 answer items (resp.result.offers)/min"),
        "updateBusinessPrices": _ym(
            10_000, _MINUTE, "updateBusinessPrices 10000 offers (req.offers)/min: units are products"
        ),
        "generateGoodsRealizationReport": _ym(1, 2 * _MINUTE, "report generate 1 per 1-2 min"),
        "generateUnitedMarketplaceServicesReport": _ym(
            1, 2 * _MINUTE, "services report generate 1 per 1-2 min"
        ),
        "getReportInfo": _ym(100, _MINUTE, "getReportInfo 100/min"),
        "getOrdersStats": _ym(10_000, _HOUR, "getOrdersStats 10000/h"),
    },
    "megamarket": {
        # Megamarket publishes no limits (yandex-market-megamarket-1c.md, uncertainty 4).
        "default": LimitConfig(600, 60.0, 50, None, "assumption: Megamarket limits are unpublished"),
    },
    "onec": {},  # a 1C web server has no rate limit of its own
}


@dataclass
class _Window:
    tokens: float = 0.0  # bucket: tokens left; fixed window: requests used
    stamp: float = 0.0  # bucket: last refill; fixed window: window start
    in_flight: int = 0


class RateLimiter:
    """Per (vendor, method group, account) windows with vendor-configured limits. Thread-safe."""

    def __init__(
        self,
        defaults: Mapping[str, Mapping[str, LimitConfig]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._defaults = {v: dict(groups) for v, groups in (defaults or DEFAULT_LIMITS).items()}
        self._overrides: dict[tuple[str, str], LimitConfig | None] = {}
        self._windows: dict[tuple[str, str, str], _Window] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self.enabled = True

    def config(self, vendor: str, group: str) -> LimitConfig | None:
        """The effective limit of a group (its override, else its default, else the vendor default)."""
        if (vendor, group) in self._overrides:
            return self._overrides[(vendor, group)]
        groups = self._defaults.get(vendor, {})
        if group in groups:
            return groups[group]
        if (vendor, "default") in self._overrides:
            return self._overrides[(vendor, "default")]
        return groups.get("default")

    def override(self, vendor: str, group: str, config: LimitConfig | None) -> None:
        """Set a group's limit (None = unlimited) and restart its windows."""
        with self._lock:
            self._overrides[(vendor, group)] = config
            self._reset(vendor, group)

    def restore(self, vendor: str, group: str) -> None:
        """Drop an override: back to the default."""
        with self._lock:
            self._overrides.pop((vendor, group), None)
            self._reset(vendor, group)

    def _reset(self, vendor: str, group: str) -> None:
        for key in [k for k in self._windows if k[0] == vendor and (k[1] == group or group == "default")]:
            del self._windows[key]

    def snapshot(self) -> dict[str, dict[str, dict[str, object] | None]]:
        """Effective limits per vendor and group (for GET /limits)."""
        out: dict[str, dict[str, dict[str, object] | None]] = {}
        groups = {(v, g) for v, gs in self._defaults.items() for g in gs} | set(self._overrides)
        for vendor, group in sorted(groups):
            config = self.config(vendor, group)
            entry = None if config is None else asdict(config)
            if entry is not None:
                entry["overridden"] = (vendor, group) in self._overrides
            out.setdefault(vendor, {})[group] = entry
        for vendor in self._defaults:
            out.setdefault(vendor, {})
        return out

    def acquire(self, vendor: str, group: str, account: str, cost: int = 1) -> LimitDecision:
        """Count one request (``cost`` units) and say whether it is within the limit."""
        now = self._clock()
        config = self.config(vendor, group) if self.enabled else None
        if config is None:
            return LimitDecision(True, 1_000_000, 999_999, 0.0, _at(now), 60.0)
        with self._lock:
            window = self._windows.setdefault((vendor, group, account), _Window(stamp=math.nan))
            if config.parallel is not None and window.in_flight >= config.parallel:
                return LimitDecision(False, config.parallel, 0, 1.0, _at(now + 1.0), config.window_s)
            decision = self._take(config, window, now, cost)
            if decision.allowed and config.parallel is not None:
                window.in_flight += 1
            return decision

    def charge(self, vendor: str, group: str, account: str, units: int) -> None:
        """Count extra units after the fact (WB: "each 4xx response counts as 10 requests")."""
        config = self.config(vendor, group) if self.enabled else None
        if config is None or config.limit is None:
            return
        with self._lock:
            window = self._windows.setdefault((vendor, group, account), _Window(stamp=math.nan))
            now = self._clock()
            if config.burst is not None:
                self._refill(config, window, now)
                window.tokens = max(window.tokens - units, -float(config.limit))
            else:
                self._roll(config, window, now)
                window.tokens += units

    def release(self, vendor: str, group: str, account: str) -> None:
        """End of an allowed request (for parallel-request caps such as YM's)."""
        with self._lock:
            window = self._windows.get((vendor, group, account))
            if window is not None and window.in_flight > 0:
                window.in_flight -= 1

    @staticmethod
    def _refill(config: LimitConfig, window: _Window, now: float) -> None:
        capacity = float(config.burst or config.limit or 1)
        if math.isnan(window.stamp):
            window.tokens, window.stamp = capacity, now
            return
        rate = (config.limit or 1) / config.window_s
        window.tokens = min(capacity, window.tokens + (now - window.stamp) * rate)
        window.stamp = now

    @staticmethod
    def _roll(config: LimitConfig, window: _Window, now: float) -> None:
        start = math.floor(now / config.window_s) * config.window_s
        if math.isnan(window.stamp) or window.stamp != start:
            window.tokens, window.stamp = 0.0, start

    def _take(self, config: LimitConfig, window: _Window, now: float, cost: int) -> LimitDecision:
        if config.limit is None:
            cap = config.parallel or 1_000_000
            return LimitDecision(True, cap, cap - window.in_flight - 1, 0.0, _at(now), config.window_s)
        if config.burst is not None:
            self._refill(config, window, now)
            rate = config.limit / config.window_s
            capacity = float(config.burst)
            if window.tokens >= cost:
                window.tokens -= cost
                reset = now + (capacity - window.tokens) / rate
                return LimitDecision(True, config.limit, int(window.tokens), 0.0, _at(reset), config.window_s)
            wait = (cost - window.tokens) / rate
            reset = now + (capacity - window.tokens) / rate
            return LimitDecision(False, config.limit, 0, wait, _at(reset), config.window_s)
        self._roll(config, window, now)
        end = window.stamp + config.window_s
        if window.tokens + cost <= config.limit:
            window.tokens += cost
            remaining = int(config.limit - window.tokens)
            return LimitDecision(True, config.limit, remaining, 0.0, _at(end), config.window_s)
        return LimitDecision(False, config.limit, 0, end - now, _at(end), config.window_s)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def parse_config(data: Mapping[str, object]) -> LimitConfig | None:
    """Validate an admin payload; ``{"unlimited": true}`` gives None."""
    unknown = set(data) - {"limit", "window_s", "burst", "parallel", "unlimited", "source"}
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    if data.get("unlimited") is True:
        return None
    parallel = data.get("parallel")
    if data.get("limit") is None and isinstance(parallel, int) and parallel >= 1:
        return LimitConfig(None, 1.0, None, parallel, str(data.get("source", "admin override")))
    try:
        limit = int(data["limit"])  # type: ignore[call-overload]
        window_s = float(data["window_s"])  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            "give limit (int) and window_s (seconds), or parallel (int) alone, or unlimited: true"
        ) from exc
    burst = data.get("burst")
    if limit < 1 or window_s <= 0:
        raise ValueError("limit must be >= 1 and window_s > 0")
    for name, value in (("burst", burst), ("parallel", parallel)):
        if value is not None and not (isinstance(value, int) and value >= 1):
            raise ValueError(f"{name} must be a positive integer or null")
    return LimitConfig(limit, window_s, burst, parallel, str(data.get("source", "admin override")))  # type: ignore[arg-type]
