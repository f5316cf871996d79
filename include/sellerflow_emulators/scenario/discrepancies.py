"""Choosing which orders and lines get a deliberate discrepancy (seeded).

Each kind draws from its own pool of eligible candidates, without overlaps, so every
injected case has exactly one expected reconciliation status. Pools are split into
"report already published at the clock" and "not yet": the published pool always gets at
least one case of each kind (when it has candidates), so even a tiny scenario shows every
status.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sellerflow_emulators.scenario.orders import Order
from sellerflow_emulators.scenario.params import Rates
from sellerflow_emulators.scenario.windows import delivery_window

LINE_KINDS = ("missing", "amount", "quantity", "duplicate")


@dataclass
class Injections:
    """What the generator will distort."""

    no_onec: set[int] = field(default_factory=set)  # delivered orders never entered into 1C
    no_return_doc: set[int] = field(default_factory=set)  # returns without ВозвратТоваровОтКлиента
    cancelled_reported: dict[int, datetime] = field(default_factory=dict)  # order id -> report operation time
    lines: dict[tuple[int, str], tuple[str, int]] = field(
        default_factory=dict
    )  # (order, offer) -> (kind, delta)


def _pick(rng: random.Random, pool: Sequence[object], rate: float, at_least_one: bool) -> list[object]:
    if not pool:
        return []
    k = round(rate * len(pool))
    if at_least_one:
        k = max(k, 1)
    return rng.sample(list(pool), min(k, len(pool)))


def _split(items: list[object], published: Callable[[object], bool]) -> tuple[list[object], list[object]]:
    yes = [item for item in items if published(item)]
    no = [item for item in items if not published(item)]
    return yes, no


def choose(
    rng: random.Random,
    rates: Rates,
    orders: list[Order],
    published_at: Callable[[str, datetime], datetime | None],
    clock: datetime,
) -> Injections:
    """Pick the injected cases. ``published_at(account, moment)`` gives the publication time
    of the built report covering ``moment`` (None when that period has no report yet)."""
    inj = Injections()

    def visible(account_id: str, moment: datetime) -> bool:
        when = published_at(account_id, moment)
        return when is not None and when <= clock

    def built(account_id: str, moment: datetime) -> bool:
        return published_at(account_id, moment) is not None

    def all_mapped(order: Order) -> bool:
        return all(line.offer.mapped for line in order.lines)

    delivered = [
        o
        for o in orders
        if o.delivered_at and o.returned_at is None and all_mapped(o) and built(o.account.id, o.delivered_at)
    ]
    returned = [o for o in orders if o.returned_at and built(o.account.id, o.returned_at)]
    cancelled = [
        o
        for o in orders
        if o.cancelled_at and all_mapped(o) and built(o.account.id, o.cancelled_at + timedelta(days=1))
    ]

    def order_pick(pool: list[Order], rate: float, moment: Callable[[Order], datetime]) -> list[Order]:
        yes, no = _split(pool, lambda o: visible(o.account.id, moment(o)))  # type: ignore[arg-type]
        return _pick(rng, yes, rate, True) + _pick(rng, no, rate, False)  # type: ignore[return-value]

    for order in order_pick(delivered, rates.reported_not_shipped, lambda o: o.delivered_at):  # type: ignore[arg-type,return-value]
        inj.no_onec.add(order.id)
    for order in order_pick(returned, rates.return_not_received, lambda o: o.returned_at):  # type: ignore[arg-type,return-value]
        inj.no_return_doc.add(order.id)
    for order in order_pick(
        cancelled,
        rates.cancelled_but_reported,
        lambda o: o.cancelled_at + timedelta(days=1),  # type: ignore[operator]
    ):
        inj.cancelled_reported[order.id] = order.cancelled_at + timedelta(days=1, hours=order.id % 12)  # type: ignore[operator]

    line_pool = [
        (o, offer_id)
        for o in delivered
        if o.id not in inj.no_onec
        for offer_id, (offer, _, _) in o.per_offer().items()
    ]
    # "Published" for a line is what the reconciliation can know: the report of the period holding the
    # shipment plus the delivery window is out (truth rule 6), which implies the delivery's report is out.
    yes, no = _split(
        line_pool,
        lambda item: visible(
            item[0].account.id, item[0].shipped_at + delivery_window(item[0].account.marketplace)
        ),  # type: ignore[index,operator]
    )
    rate_of = {
        "missing": rates.missing_in_report,
        "amount": rates.amount_mismatch,
        "quantity": rates.quantity_mismatch,
        "duplicate": rates.duplicate_in_report,
    }
    for pool, at_least_one in ((yes, True), (no, False)):
        free = list(pool)
        for kind in LINE_KINDS:
            chosen = _pick(rng, free, rate_of[kind], at_least_one)
            chosen_set = {(o.id, offer_id) for o, offer_id in chosen}  # type: ignore[misc]
            free = [item for item in free if (item[0].id, item[1]) not in chosen_set]  # type: ignore[index]
            for order, offer_id in chosen:  # type: ignore[misc]
                inj.lines[(order.id, offer_id)] = (kind, _delta(rng, kind, order, offer_id))
        for order, offer_id in _pick(rng, free, rates.rounding_noise, False):  # type: ignore[misc]
            inj.lines[(order.id, offer_id)] = ("noise", rng.choice((-1, 1)))
    return inj


def _delta(rng: random.Random, kind: str, order: Order, offer_id: str) -> int:
    if kind == "amount":
        return rng.choice((-1, 1)) * 100 * rng.randrange(5, 50)
    if kind == "quantity":
        _, qty, _ = order.per_offer()[offer_id]
        return -1 if qty > 1 and rng.random() < 0.5 else 1
    return 0
