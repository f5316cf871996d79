"""Orders: identifiers in each vendor's format, lines, and the status history over time.

Timelines follow each vendor's status model (vendor_status) next to the canonical status:

- Ozon postings: awaiting_packaging → awaiting_deliver → delivering → delivered | cancelled
  (ozon-wildberries.md "Orders / postings", FBS statuses). A return leaves the posting
  ``delivered`` (returns live in Ozon's returns API), so its vendor_status stays ``delivered``.
- Wildberries assembly tasks: ``supplierStatus/wbStatus`` pairs from POST /api/v3/orders/status
  (new/waiting → confirm/waiting → complete/sorted → complete/sold; cancel/canceled…). One
  assembly task is one unit, so a WB basket becomes several orders sharing ``orderUid``.
- Yandex Market: ``STATUS/SUBSTATUS`` (PROCESSING/STARTED → PROCESSING/READY_TO_SHIP →
  PROCESSING/SHIPPED → DELIVERY/… → DELIVERED/…), per yandex-market-megamarket-1c.md A2.
- Megamarket shipments: NEW → CONFIRMED → PACKED → SHIPPED → DELIVERED, *_CANCELED (B3);
  one line per unit with line_no = itemIndex.

Seller actions (packing, DBS delivery) are only simulated up to ``seller_until``; later
ones are left for the client under test to push through the vendor API. Marketplace
events (FBO flow, hand-over, delivery) may lie after the clock: the world shows them when
the clock passes them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sellerflow_emulators.scenario.catalog import AccountView, Offer

# Relative order intensity per Moscow hour (0..23); Moscow is UTC+3 all year.
MSK_HOUR_WEIGHTS = (2, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 7, 7, 7, 7, 8, 8, 9, 9, 8, 6, 4)
UTC_HOUR_WEIGHTS = tuple(MSK_HOUR_WEIGHTS[(h + 3) % 24] for h in range(24))
_MEAN_HOUR_WEIGHT = sum(MSK_HOUR_WEIGHTS) / 24

# Hours from hand-over to delivery per scheme (low, high); see ``_milestones``.
DELIVERY_HOURS = {"fbo": (24, 72), "dbs": (4, 48), "fbs": (24, 96)}
# The longest a shipped order can take to be delivered: once the report of the period holding
# shipment + this window is out, a sale that is not in it is missing (a fact every reader has, unlike
# the delivery moment, which the vendors' order lists do not carry).
DELIVERY_WINDOW = timedelta(hours=max(high for _, high in DELIVERY_HOURS.values()))

# vendor_status per marketplace for each milestone.
VENDOR_STATUS = {
    "ozon": {
        "created": "awaiting_packaging",
        "confirmed": None,
        "packed": "awaiting_deliver",
        "shipped": "delivering",
        "in_delivery": None,
        "delivered": "delivered",
        "returned": "delivered",
        "cancelled_seller": "cancelled",
        "cancelled_buyer": "cancelled",
    },
    "wildberries": {
        "created": "new/waiting",
        "confirmed": None,
        "packed": "confirm/waiting",
        "shipped": "complete/sorted",
        "in_delivery": None,
        "delivered": "complete/sold",
        "returned": "complete/declined_by_client",
        "cancelled_seller": "cancel/canceled",
        "cancelled_buyer": "cancel/canceled_by_client",
    },
    "yandex_market": {
        "created": "PROCESSING/STARTED",
        "confirmed": None,
        "packed": "PROCESSING/READY_TO_SHIP",
        "shipped": "PROCESSING/SHIPPED",
        "in_delivery": "DELIVERY/DELIVERY_SERVICE_RECEIVED",
        "delivered": "DELIVERED/DELIVERY_SERVICE_DELIVERED",
        "returned": "RETURNED/UNKNOWN",
        "cancelled_seller": "CANCELLED/SHOP_FAILED",
        "cancelled_buyer": "CANCELLED/USER_CHANGED_MIND",
    },
    "megamarket": {
        "created": "NEW",
        "confirmed": "CONFIRMED",
        "packed": "PACKED",
        "shipped": "SHIPPED",
        "in_delivery": None,
        "delivered": "DELIVERED",
        "returned": "DELIVERED",
        "cancelled_seller": "MERCHANT_CANCELED",
        "cancelled_buyer": "CUSTOMER_CANCELED",
    },
}
CANONICAL = {
    "created": "awaiting_packaging",
    "confirmed": "awaiting_packaging",
    "packed": "awaiting_deliver",
    "shipped": "delivering",
    "in_delivery": "delivering",
    "delivered": "delivered",
    "returned": "returned",
    "cancelled_seller": "cancelled",
    "cancelled_buyer": "cancelled",
}


@dataclass(slots=True)
class Line:
    """One order line (MM: one unit)."""

    line_no: int
    offer: Offer
    quantity: int
    price_kop: int


@dataclass(slots=True)
class Order:
    """A canonical order with its lines and full simulated timeline."""

    id: int
    account: AccountView
    order_number: str
    posting_number: str
    scheme: str
    warehouse_id: str
    created_at: datetime
    ship_by: datetime | None
    vendor: dict[str, object]
    lines: list[Line] = field(default_factory=list)
    history: list[tuple[datetime, str, str, str]] = field(default_factory=list)  # at, status, vendor, actor
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    returned_at: datetime | None = None
    cancelled_at: datetime | None = None

    def per_offer(self) -> dict[str, tuple[Offer, int, int]]:
        """Lines folded by offer_id: offer -> (offer, quantity, amount_kop) (MM has one line per unit)."""
        out: dict[str, tuple[Offer, int, int]] = {}
        for line in self.lines:
            offer, qty, amount = out.get(line.offer.offer_id, (line.offer, 0, 0))
            out[line.offer.offer_id] = (offer, qty + line.quantity, amount + line.quantity * line.price_kop)
        return out


def sample_times(rng: random.Random, start: datetime, end: datetime, per_day: float) -> list[datetime]:
    """Order creation moments in [start, end) at realistic hours, ``per_day`` on an average day."""
    buckets: list[tuple[datetime, datetime, float]] = []
    cursor = start
    while cursor < end:
        hour_end = min(end, cursor.replace(minute=0, second=0) + timedelta(hours=1))
        weight = UTC_HOUR_WEIGHTS[cursor.hour] * (hour_end - cursor).total_seconds() / 3600
        buckets.append((cursor, hour_end, weight))
        cursor = hour_end
    total_weight = sum(b[2] for b in buckets)
    expected = per_day * total_weight / (24 * _MEAN_HOUR_WEIGHT)
    whole = math.floor(expected + 1e-9)  # a full day gives exactly per_day despite float sums
    fraction = expected - whole
    count = whole + (1 if fraction > 1e-9 and rng.random() < fraction else 0)
    if not buckets or count == 0:
        return []
    cum: list[float] = []
    acc = 0.0
    for b in buckets:
        acc += b[2]
        cum.append(acc)
    times = []
    for bucket in rng.choices(buckets, cum_weights=cum, k=count):
        span = int((bucket[1] - bucket[0]).total_seconds())
        times.append(bucket[0] + timedelta(seconds=rng.randrange(max(span, 1))))
    times.sort()
    return times


class OrderFactory:
    """Creates orders for a set of cabinets; ids continue from ``first_id``."""

    def __init__(
        self, rng: random.Random, accounts: list[AccountView], first_id: int, cancel_rate: float
    ) -> None:
        self.rng = rng
        self.accounts = accounts
        self.next_id = first_id
        self.cancel_rate = cancel_rate
        self._account_cum = _cumulative([a.share for a in accounts])
        self._offer_cum = {
            a.id: _cumulative([1 / (rank + 5) for rank in range(len(a.offers))]) for a in accounts
        }

    def orders_at(
        self, times: list[datetime], seller_until: datetime | None, return_rate: float
    ) -> list[Order]:
        """One order group per moment (WB baskets and split Ozon orders give several orders)."""
        out: list[Order] = []
        budget = len(times)
        for moment in times:
            if budget <= 0:
                break
            account = self.rng.choices(self.accounts, cum_weights=self._account_cum)[0]
            group = self._group(account, moment, budget)
            budget -= len(group)
            for order in group:
                _timeline(self.rng, order, seller_until, self.cancel_rate, return_rate)
            out.extend(group)
        return out

    def _pick_offers(self, account: AccountView, count: int) -> list[Offer]:
        picked: dict[str, Offer] = {}
        for offer in self.rng.choices(account.offers, cum_weights=self._offer_cum[account.id], k=count):
            picked.setdefault(offer.offer_id, offer)
        return list(picked.values())

    def _new_order(self, account: AccountView, moment: datetime, scheme: str, warehouse_id: str) -> Order:
        order = Order(self.next_id, account, "", "", scheme, warehouse_id, moment, None, {})
        self.next_id += 1
        if scheme != "fbo":
            order.ship_by = (moment + timedelta(days=1)).replace(hour=14, minute=0, second=0)
        return order

    def _group(self, account: AccountView, moment: datetime, budget: int) -> list[Order]:
        rng = self.rng
        schemes, weights = zip(*account.schemes, strict=True)
        scheme = rng.choices(schemes, weights=weights)[0]
        warehouse_id, _ = rng.choice(account.warehouses[scheme])
        n_items = min(rng.choices((1, 2, 3), weights=(70, 22, 8))[0], budget)
        offers = self._pick_offers(account, n_items)
        mp = account.marketplace
        if mp == "wildberries":
            return self._wildberries(account, moment, scheme, warehouse_id, offers)
        if mp == "ozon":
            return self._ozon(account, moment, scheme, warehouse_id, offers, budget)
        order = self._new_order(account, moment, scheme, warehouse_id)
        line_no = 0
        for offer in offers:
            qty = rng.choices((1, 2), weights=(85, 15))[0]
            if mp == "megamarket":
                for _ in range(qty):
                    line_no += 1
                    order.lines.append(Line(line_no, offer, 1, offer.price_kop))
            else:
                line_no += 1
                order.lines.append(Line(line_no, offer, qty, offer.price_kop))
        if mp == "yandex_market":
            number = account.id_base + order.id * 2 + rng.randrange(2)
            order.order_number = order.posting_number = str(number)
            campaigns = account.vendor.get("campaigns") or {}
            order.vendor = {
                "orderId": number,
                "campaignId": campaigns.get(scheme) if isinstance(campaigns, dict) else None,
                "itemIds": [300_000_000_000 + order.id * 4 + line.line_no for line in order.lines],
            }
        else:
            number = account.id_base + order.id * 3 + rng.randrange(3)
            order.order_number = order.posting_number = str(number)
            order.vendor = {"shipmentId": str(number), "deliveryId": 80_000_000 + order.id * 2}
        return [order]

    def _ozon(
        self,
        account: AccountView,
        moment: datetime,
        scheme: str,
        warehouse_id: str,
        offers: list[Offer],
        budget: int,
    ) -> list[Order]:
        rng = self.rng
        split = len(offers) > 1 and budget > 1 and rng.random() < 0.08
        parts = [offers[:1], offers[1:]] if split else [offers]
        orders = []
        prefix = ""
        ozon_order_id = 0
        for k, part in enumerate(parts, start=1):
            order = self._new_order(account, moment, scheme, warehouse_id)
            if k == 1:
                prefix = f"{account.id_base + order.id * 3 + rng.randrange(3):08d}-{rng.randrange(10000):04d}"
                ozon_order_id = 600_000_000 + order.id * 7
            order.order_number = prefix
            order.posting_number = f"{prefix}-{k}"
            order.vendor = {"order_id": ozon_order_id}
            for line_no, offer in enumerate(part, start=1):
                qty = rng.choices((1, 2), weights=(85, 15))[0]
                order.lines.append(Line(line_no, offer, qty, offer.price_kop))
            orders.append(order)
        return orders

    def _wildberries(
        self, account: AccountView, moment: datetime, scheme: str, warehouse_id: str, offers: list[Offer]
    ) -> list[Order]:
        rng = self.rng
        order_uid = f"{rng.randrange(10_000_000, 999_999_999)}_{rng.getrandbits(128):032x}"
        orders = []
        for offer in offers:
            order = self._new_order(account, moment, scheme, warehouse_id)
            srid = f"{rng.randrange(10**18, 9 * 10**18)}.0.0"
            vendor: dict[str, object] = {
                "srid": srid,
                "rid": srid,
                "orderUid": order_uid,
                "nmId": offer.mp_sku,
                "chrtId": offer.mp_product_id,
                "article": offer.offer_id,
            }
            order.order_number = srid
            if scheme == "fbs":
                assembly_id = account.id_base + order.id * 2 + rng.randrange(2)
                vendor["id"] = assembly_id
                order.posting_number = str(assembly_id)
            else:
                order.posting_number = srid
            order.vendor = vendor
            order.lines.append(Line(1, offer, 1, offer.price_kop))
            orders.append(order)
        return orders


def _cumulative(weights: list[float]) -> list[float]:
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=int(rng.uniform(low, high) * 3600))


def _milestones(
    rng: random.Random, order: Order, cancel_rate: float, return_rate: float
) -> list[tuple[datetime, str, str]]:
    """The order's whole life as (moment, milestone, actor), before any cut at the clock."""
    mp, scheme, t0 = order.account.marketplace, order.scheme, order.created_at
    low_pack, high_pack, low_ship, high_ship = {
        "fbo": (0.5, 4, 3, 14),
        "dbs": (1, 10, 2, 12),
        "fbs": (1, 20, 4, 28),
    }[scheme]
    low_deliv, high_deliv = DELIVERY_HOURS[scheme]
    t_pack = t0 + _hours(rng, low_pack, high_pack)
    t_ship = t_pack + _hours(rng, low_ship, high_ship)
    t_deliv = t_ship + _hours(rng, low_deliv, high_deliv)
    seller = "marketplace" if scheme == "fbo" else "seller"
    # Megamarket (order/shipping) and DBS sellers report the hand-over themselves.
    ship_actor = "seller" if scheme == "dbs" or (mp == "megamarket" and scheme != "fbo") else "marketplace"
    steps: list[tuple[datetime, str, str]] = [(t0, "created", "marketplace")]
    if mp == "megamarket":
        steps.append((t0 + (t_pack - t0) / 3, "confirmed", seller))
    steps.append((t_pack, "packed", seller))
    steps.append((t_ship, "shipped", ship_actor))
    if mp == "yandex_market" and scheme != "dbs":
        steps.append((t_ship + _hours(rng, 2, 6), "in_delivery", "marketplace"))
    steps.append((t_deliv, "delivered", "seller" if scheme == "dbs" else "marketplace"))

    roll = rng.random()
    if roll < cancel_rate:
        t_cancel = t0 + (t_ship - t0) * rng.uniform(0.1, 0.9)
        by_seller = scheme != "fbo" and rng.random() < 0.3
        steps = [step for step in steps if step[0] < t_cancel]
        milestone = "cancelled_seller" if by_seller else "cancelled_buyer"
        steps.append((t_cancel, milestone, "seller" if by_seller else "buyer"))
    elif roll < cancel_rate + return_rate:
        steps.append((t_deliv + _hours(rng, 48, 240), "returned", "buyer"))
    return steps


def _timeline(
    rng: random.Random, order: Order, seller_until: datetime | None, cancel_rate: float, return_rate: float
) -> None:
    """Fill ``order.history`` (and the milestone moments) up to where the simulation stops."""
    statuses = VENDOR_STATUS[order.account.marketplace]
    for at, milestone, actor in _milestones(rng, order, cancel_rate, return_rate):
        vendor_status = statuses[milestone]
        if vendor_status is None:
            continue
        if (seller_until is None or at > seller_until) and (
            actor == "seller" or milestone == "returned" or (order.scheme != "fbo" and milestone != "created")
        ):
            # Not simulated: seller actions wait for the client under test, FBS/DBS orders do
            # not move on without them, and buyers' returns are not pre-scheduled.
            break
        order.history.append((at, CANONICAL[milestone], vendor_status, actor))
        if milestone == "shipped":
            order.shipped_at = at
        elif milestone == "delivered":
            order.delivered_at = at
        elif milestone == "returned":
            order.returned_at = at
        elif milestone.startswith("cancelled"):
            order.cancelled_at = at
