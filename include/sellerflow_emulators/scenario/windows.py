"""Delivery windows and report delays: how long after a shipment a sale may still come in a vendor's report.

Windows (the reconciliation's dbt var ``delivery_window_days`` has the same defaults; a test keeps them equal):

- Wildberries 45 days: ≥ 99.9 % of an order month's sales are reported by day 25 after the month ends
  (April–July 2026: 99.95–100.1 %), and a sale can come 40 days after the month; a handful of rows are booked
  16–115 days after the sale (rastropovich-dot/mp-analytics scripts/report_wb_month.py
  ``BUYOUT_RATE_MATURE_DAYS``, docs/wb_report_model.md §1). Pickup points hold parcels 7–14 days [?].
- Ozon, Yandex Market, Megamarket 14 days [?]: no vendor source states how late a delivered sale may be
  reported; 14 days covers a pickup point's storage. Configurable (dbt var, ``DELIVERY_WINDOW_DAYS``).

Delays: the world draws, per order, how late its sale reaches the report. Most sales are reported with their
delivery; for Wildberries ``LATE_SHARE`` of the sales come 40–55 days late (the tail the window above is sized
for), so the awaiting_report / missing_in_report boundary is crossed in tests. Draws come from a generator of
their own per order, so the rest of the world does not change. The generator and the clock (``clock.advance``,
which builds the reports of later periods) draw the same delay for an order, so a late sale lands in the report
of its delivery + delay whichever of them builds that report.
"""

from __future__ import annotations

import random
from datetime import timedelta

DELIVERY_WINDOW_DAYS = {"ozon": 14, "wildberries": 45, "yandex_market": 14, "megamarket": 14}
LATE_SHARE = {"wildberries": 0.01}
LATE_DAYS = {"wildberries": (40, 55)}
# no sale reaches its report later than this after its delivery (the clock looks back that far)
MAX_REPORT_DELAY = timedelta(days=max(high for _, high in LATE_DAYS.values()) + 1)


def delivery_window(marketplace: str) -> timedelta:
    """How long after a shipment its sale may still arrive in the vendor's report."""
    return timedelta(days=DELIVERY_WINDOW_DAYS[marketplace])


def report_delay(marketplace: str, order_id: int, seed: int = 0) -> timedelta:
    """How late the sale of order ``order_id`` reaches the report after its delivery (zero for most)."""
    share = LATE_SHARE.get(marketplace, 0.0)
    if not share:
        return timedelta(0)
    rng = random.Random(f"report-delay:{seed}:{marketplace}:{order_id}")
    if rng.random() >= share:
        return timedelta(0)
    low, high = LATE_DAYS[marketplace]
    return timedelta(days=rng.randrange(low, high + 1), hours=rng.randrange(24))
