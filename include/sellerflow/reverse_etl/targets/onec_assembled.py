"""1C «assembled»: the ЗаказКлиента our reservation created moves to Статус ``КОтгрузке`` once its pick lists are
finished, and what the picker did not find is un-reserved.

No sync model: the TSD feeds it. :func:`sellerflow.reverse_etl.statuses.request_assembled` (called when a pick list
is finished) enqueues one item per 1C order (``<account_id>:<order number>``, the reservation's item key) built by
:func:`assembled_payload` from the reservation 1C acknowledged (``ops.outbox_acknowledged``, target
``onec_reservations``) and the finished pick-list units (``ops.pick_list_items.short``). The push_statuses DAG drains
it (:func:`sellerflow.reverse_etl.push.push` only drains a target without ``sync_model``). Payload keys:
``onec_base``, ``organization_key``, ``order_number``, ``account_id``, ``marketplace``, ``status`` (``КОтгрузке``
when every posting of the order is assembled, ``Закрыт`` when nothing of it was found, null while some postings are
still on open lists: only the shortages are applied), ``lines`` (the Товары section to hold), ``shortages``
(``product_key``, ``offer_id``, ``quantity``), ``postings``, ``assembled_postings``, ``problems``.

The Товары section (1C facts: docs/vendors/onec.md): a line of the reservation keeps what was picked, reserved
from stock (``ВариантОбеспечения = СоСклада``); the units not found go to a line of their own with ``Отменено =
true`` (УТ 11 cancels lines, not parts of lines [?: the split is sellerflow's choice]), so reposting releases
exactly the missing quantity. A tabular section is sent whole (§17.4.13.1.3), then the order is re-posted.

Exactly once in effect (1C has no idempotency key): every attempt reads the order back by НомерПоДаннымКлиента
and Организация_Key first; an order already posted with the wanted Статус and lines is acknowledged without a
write, so a repeat after a crash, or a rerun, changes nothing. An order 1C closed (the marketplace cancelled it, or
it was shipped) is not reopened: parked with the reason [?: whether 1C refuses Закрыт → КОтгрузке is not
documented]. An order not in 1C yet (its reservation is still on its way) is retried with back-off.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.targets.onec_reservations import (
    CLOSED_STATUS,
    ENTITY,
    OneCReservations,
    _line_signature,
    desired_lines,
)
from sellerflow.sources.onec import OneCBase, OneCClient

ASSEMBLED_STATUS = "КОтгрузке"  # «К отгрузке» (УТ 11.5 СтатусыЗаказовКлиентов, S13)


def split_lines(
    reservation: Mapping[str, Any], shortages: Mapping[str, int]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The reservation's lines with ``shortages`` (product_key → units not found) cut off into cancelled lines.

    Returns the lines (``product_key``, ``offer_id``, ``quantity``, ``price``, ``cancelled``) and the shortages it
    could not place (a product the reservation does not hold: nothing to release for it)."""
    left = {str(k).lower(): int(v) for k, v in shortages.items() if int(v) > 0}
    kept: list[dict[str, Any]] = []
    cut: list[dict[str, Any]] = []
    for line in reservation.get("lines") or []:
        key = str(line["product_key"]).lower()
        quantity = int(line["quantity"])
        short = min(quantity, left.get(key, 0))
        if short:
            left[key] -= short
        base = {
            "product_key": line["product_key"],
            "offer_id": line.get("offer_id"),
            "price": line.get("price"),
        }
        if quantity - short > 0:
            kept.append({**base, "quantity": quantity - short, "cancelled": False})
        if short:
            cut.append({**base, "quantity": short, "cancelled": True})
    return kept + cut, {k: v for k, v in left.items() if v}


def assembled_payload(
    reservation: Mapping[str, Any],
    assembled_postings: Sequence[str],
    shortages: Mapping[str, int],
    offers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The desired 1C state of a reserved order after picking (see the module docstring)."""
    lines, unplaced = split_lines(reservation, shortages)
    postings = sorted(str(p) for p in reservation.get("postings") or [])
    done = sorted(set(str(p) for p in assembled_postings))
    if lines and all(line["cancelled"] for line in lines):
        status: str | None = CLOSED_STATUS  # nothing was found: the order keeps no reserve
    elif set(postings) <= set(done):
        status = ASSEMBLED_STATUS
    else:
        status = None  # other postings are still being picked: only the shortages now
    problems = []
    if reservation.get("cancelled"):
        problems.append(
            "the marketplace cancelled the order: 1C closes it (onec_reservations), not assembled"
        )
    if unplaced:
        problems.append(f"shortages of items the 1C order does not hold: {sorted(unplaced)}")
    return {
        "onec_base": reservation["onec_base"],
        "organization_key": reservation["organization_key"],
        "warehouse_key": reservation.get("warehouse_key"),
        "order_number": reservation["order_number"],
        "account_id": reservation["account_id"],
        "marketplace": reservation.get("marketplace"),
        "postings": postings,
        "assembled_postings": done,
        "status": status,
        "lines": lines,
        "shortages": [
            {"product_key": k, "offer_id": (offers or {}).get(k), "quantity": v}
            for k, v in sorted(shortages.items())
            if int(v) > 0
        ],
        "problems": problems,
    }


class OneCAssembled(OneCReservations):
    """The ``onec_assembled`` target (the reservation target's client, limiter and read-back, another write)."""

    name: ClassVar[str] = "onec_assembled"
    vendor: ClassVar[str] = "onec"
    sync_model: ClassVar[str | None] = None  # enqueued by request_assembled
    max_batch: ClassVar[int] = 1
    claim_size: ClassVar[int] = 20

    def __init__(self, bases: Callable[[str], OneCBase]) -> None:
        super().__init__(bases)

    def preview(self, item: Item) -> Outcome:
        """Dry run: what would be written (no request)."""
        if item.payload.get("problems"):
            return Outcome.permanent("; ".join(item.payload["problems"]))
        short = sum(int(s["quantity"]) for s in item.payload.get("shortages") or [])
        status = item.payload.get("status") or "(unchanged)"
        return Outcome(
            "dry_run",
            f"would set ЗаказКлиента НомерПоДаннымКлиента={item.payload['order_number']} in base "
            f"{item.payload['onec_base']} to Статус {status}, releasing {short} units not found",
        )

    def _reconcile(self, client: OneCClient, payload: dict[str, Any]) -> Outcome:
        doc = self._find(client, payload)
        if doc is None:
            return Outcome.transient(
                f"ЗаказКлиента НомерПоДаннымКлиента={payload['order_number']} is not in 1C yet "
                "(its reservation has not reached 1C): tried again later",
                requests=list(self._requests),
            )
        current = doc.get("Статус")
        wanted = payload.get("status") or current
        if current == CLOSED_STATUS and wanted != CLOSED_STATUS:
            return Outcome.permanent(
                f"1C closed the order {doc.get('Number')} (Статус Закрыт: cancelled or shipped); "
                f"sellerflow does not reopen it as {wanted}",
                requests=list(self._requests),
            )
        rows = desired_lines(payload)
        if (
            bool(doc.get("Posted"))
            and current == wanted
            and _line_signature(doc.get("Товары") or []) == _line_signature(rows)
        ):
            return self._ack(doc, f"1C already holds Статус {current} and these lines")
        ref = str(doc["Ref_Key"])
        doc = client.update(ENTITY, ref, {"Статус": wanted, "Товары": rows})
        client.post_document(ENTITY, ref)
        released = sum(int(r["Количество"]) for r in rows if r["Отменено"])
        return self._ack(doc, f"Статус {wanted}; {released} units not found released")


def shortages_by_product(items: Sequence[Mapping[str, Any]]) -> tuple[dict[str, int], dict[str, str]]:
    """Sum the pick-list units' ``short`` per 1C product; also product → offer_id."""
    short: dict[str, int] = defaultdict(int)
    offers: dict[str, str] = {}
    for unit in items:
        if unit.get("product_ref") and int(unit.get("short") or 0) > 0:
            key = str(unit["product_ref"]).lower()
            short[key] += int(unit["short"])
            offers.setdefault(key, str(unit.get("offer_id") or ""))
    return dict(short), offers
