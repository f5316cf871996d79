"""1C reservations: a posted ЗаказКлиента per marketplace order the seller ships from its own stock.

Desired state: ``marts.sync_onec__reservations`` (one row per (account, marketplace order number)); payload
keys: ``onec_base``, ``organization_key``, ``partner_key``, ``contractor_key``, ``warehouse_key``,
``order_number``, ``order_date``, ``marketplace``, ``account_id``, ``cancelled``, ``postings``, ``lines``
(``product_key``, ``offer_id``, ``quantity``, ``price``) and ``problems`` (why it cannot be sent: an unmapped
SKU, no 1C base or warehouse — such an item is parked at once, with the reason, and nothing is sent).

How one item is delivered (1C facts: docs/vendors/onec.md):

1. Read back: ``GET Document_ЗаказКлиента?$filter=НомерПоДаннымКлиента eq '…' and Организация_Key eq
   guid'…'`` — 1C's OData has no idempotency key, so the document is looked up before anything is written;
   it is never created twice, whether we created it before a crash or a person did by hand.
2. None found and the order is live: ``POST Document_ЗаказКлиента`` with a ``Ref_Key`` derived from the item
   (uuid5), Статус ``КОбеспечению`` and every line ``ВариантОбеспечения = СоСклада``; a repeat of that POST
   is refused with code 15 (the key exists), which is read as "already created". Then ``…/Post``.
3. Found: if it already is what we want (posted, same status and lines) nothing is written; if 1C moved it on
   (``КОтгрузке``, ``Закрыт``) it is left alone; otherwise ``PATCH`` (the Товары section whole) and ``Post``.
4. Cancelled: lines ``Отменено = true``, Статус ``Закрыт``, re-posted: the reserve is released. An order
   cancelled before it was reserved has nothing to undo.

1C's refusal to post (HTTP 500, code -1, «Не удалось провести …», e.g. not enough free stock) parks the item
with 1C's message: it is recorded and surfaced, never retried blindly (``replay`` after the stock arrived).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from sellerflow.reverse_etl.outbox import Item, Outcome
from sellerflow.reverse_etl.sender import SendContext
from sellerflow.sources.onec import OneCBase, OneCClient, odata
from sellerflow.sources.onec.errors import (
    OneCAuthError,
    OneCBusinessError,
    OneCError,
    OneCLoginPageError,
    OneCNotPublishedError,
    OneCQueryError,
    OneCTransientError,
)

logger = logging.getLogger(__name__)

ENTITY = "Document_ЗаказКлиента"
RESERVE_STATUS = "КОбеспечению"  # «К обеспечению / В резерве» (УТ 11.5 СтатусыЗаказовКлиентов)
CLOSED_STATUS = "Закрыт"
MOVED_ON = ("КОтгрузке", "Закрыт")  # a person or 1C's own flow took the order further: not ours to undo
RESERVE_FROM_STOCK = "СоСклада"  # ВариантыОбеспечения: «Резервировать на складе»
KEY_EXISTS = "15"
POSTING_REFUSED = "Не удалось провести"  # the posting handler's refusal prefix (emulator and real УТ 11)
REF_NAMESPACE = uuid.UUID("6d1f8f0e-4f7e-5c1e-9c65-2f5b6a0c1e11")
TITLES = {
    "ozon": "Ozon",
    "wildberries": "Wildberries",
    "yandex_market": "Яндекс Маркет",
    "megamarket": "Мегамаркет",
}


def document_ref(payload: dict[str, Any]) -> str:
    """The Ref_Key sellerflow gives the order's document: the same for every attempt at the same order."""
    return str(
        uuid.uuid5(REF_NAMESPACE, f"{payload['onec_base']}:{payload['account_id']}:{payload['order_number']}")
    )


def _local(moment: str | None, base: OneCBase) -> str | None:
    if not moment:
        return None
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(base.tz)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S")


def desired_lines(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Товары section to write: ``Отменено`` on every line of a cancelled order, or on a line that says so
    itself (the units a picker did not find, target onec_assembled)."""
    cancelled = bool(payload.get("cancelled"))
    rows = []
    for n, line in enumerate(payload.get("lines") or [], start=1):
        quantity = int(line["quantity"])
        price = round(float(line.get("price") or 0), 2)
        rows.append(
            {
                "LineNumber": str(n),
                "Номенклатура_Key": line["product_key"],
                "Количество": quantity,
                "КоличествоУпаковок": quantity,
                "Цена": price,
                "Сумма": round(price * quantity, 2),
                "ВариантОбеспечения": RESERVE_FROM_STOCK,
                "Склад_Key": payload["warehouse_key"],
                "Отменено": bool(line.get("cancelled", cancelled)),
            }
        )
    return rows


def document_body(payload: dict[str, Any], base: OneCBase) -> dict[str, Any]:
    """The ЗаказКлиента header and lines for ``payload``."""
    title = TITLES.get(str(payload.get("marketplace")), str(payload.get("marketplace")))
    postings = ", ".join(payload.get("postings") or [])
    body: dict[str, Any] = {
        "Организация_Key": payload["organization_key"],
        "Партнер_Key": payload["partner_key"],
        "Склад_Key": payload["warehouse_key"],
        "НомерПоДаннымКлиента": payload["order_number"],
        "Статус": CLOSED_STATUS if payload.get("cancelled") else RESERVE_STATUS,
        "ХозяйственнаяОперация": "РеализацияКлиенту",
        "ЦенаВключаетНДС": True,
        "Комментарий": f"sellerflow: {title} {postings}".strip(),
        "Товары": desired_lines(payload),
    }
    if payload.get("contractor_key"):
        body["Контрагент_Key"] = payload["contractor_key"]
    if (date := _local(payload.get("order_date"), base)) is not None:
        body["ДатаПоДаннымКлиента"] = date
    return body


def _line_signature(rows: Sequence[dict[str, Any]]) -> list[tuple[str, int, str, bool]]:
    return sorted(
        (
            str(r.get("Номенклатура_Key", "")).lower(),
            round(float(r.get("Количество") or 0)),
            str(r.get("ВариантОбеспечения") or ""),
            bool(r.get("Отменено")),
        )
        for r in rows
    )


def in_desired_state(doc: dict[str, Any], payload: dict[str, Any]) -> bool:
    """Whether 1C's document already is what ``payload`` asks for (posted, status, lines)."""
    wanted_status = CLOSED_STATUS if payload.get("cancelled") else RESERVE_STATUS
    return (
        bool(doc.get("Posted"))
        and doc.get("Статус") == wanted_status
        and _line_signature(doc.get("Товары") or []) == _line_signature(desired_lines(payload))
    )


def _failure(exc: OneCError, requests: list[str]) -> Outcome:
    kw: dict[str, Any] = {"http_status": exc.status, "vendor_code": exc.code, "requests": list(requests)}
    if isinstance(exc, OneCTransientError):
        return Outcome.transient(str(exc), retry_after_s=exc.retry_after_s, **kw)
    if isinstance(exc, OneCBusinessError) and POSTING_REFUSED not in (exc.detail or ""):
        return Outcome.transient(str(exc), **kw)  # "internal error" without a handler's refusal
    if isinstance(exc, (OneCBusinessError, OneCQueryError, OneCAuthError, OneCLoginPageError)):
        return Outcome.permanent(exc.detail or str(exc), **kw)
    if isinstance(exc, OneCNotPublishedError):
        return Outcome.permanent(str(exc), **kw)
    return Outcome.transient(str(exc), **kw)


class OneCReservations:
    """The ``onec_reservations`` target: ``bases(base_id)`` gives the connection settings of a 1C base."""

    name: ClassVar[str] = "onec_reservations"
    vendor: ClassVar[str] = "onec"
    sync_model: ClassVar[str | None] = "marts.sync_onec__reservations"
    max_batch: ClassVar[int] = 1  # 1C's standard OData writes one object per request
    claim_size: ClassVar[int] = 20

    def __init__(self, bases: Callable[[str], OneCBase]) -> None:
        self._bases = bases
        self._clients: dict[str, OneCClient] = {}
        self._requests: list[str] = []
        self._ctx: SendContext | None = None
        self.requests_made = 0

    def _client(self, base_id: str) -> OneCClient:
        client = self._clients.get(base_id)
        if client is None:
            client = OneCClient(self._bases(base_id))
            client.before_request = self._before_request
            self._clients[base_id] = client
        return client

    def _before_request(self, method: str, resource: str) -> None:
        self._requests.append(f"{method} {resource}")
        self.requests_made += 1
        if self._ctx is not None:
            self._ctx.acquire("odata", self._current_base)

    def close(self) -> None:
        """Close every base's connection pool."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    # -- the Target protocol ----------------------------------------------------------------------------
    def preview(self, item: Item) -> Outcome:
        """Dry run: the document that would be written (no request is made)."""
        if item.payload.get("problems"):
            return Outcome.permanent("; ".join(item.payload["problems"]))
        action = "close and re-post" if item.payload.get("cancelled") else "create or update, then post"
        return Outcome(
            "dry_run",
            f"would {action} ЗаказКлиента НомерПоДаннымКлиента={item.payload['order_number']} "
            f"in base {item.payload['onec_base']} ({len(item.payload.get('lines') or [])} lines)",
        )

    def send(self, items: Sequence[Item], ctx: SendContext) -> list[Outcome]:
        """Deliver each item (``max_batch`` is 1, but any batch works)."""
        self._ctx = ctx
        return [self._deliver(item) for item in items]

    # -- one item -----------------------------------------------------------------------------------------
    def _deliver(self, item: Item) -> Outcome:
        payload = item.payload
        if payload.get("problems"):
            return Outcome.permanent("; ".join(payload["problems"]))
        self._requests = []
        self._current_base = str(payload["onec_base"])
        try:
            client = self._client(self._current_base)
            return self._reconcile(client, payload)
        except OneCError as exc:
            return _failure(exc, self._requests)

    def _find(self, client: OneCClient, payload: dict[str, Any]) -> dict[str, Any] | None:
        where = odata.eq("НомерПоДаннымКлиента", str(payload["order_number"])) & odata.eq(
            "Организация_Key", odata.Guid(payload["organization_key"])
        )
        docs = [d for d in client.find(ENTITY, where) if not d.get("DeletionMark")]
        if not docs:
            return None
        ours = document_ref(payload)
        docs.sort(key=lambda d: (d.get("Ref_Key") != ours, str(d.get("Date") or ""), str(d.get("Ref_Key"))))
        return docs[0]

    def _reconcile(self, client: OneCClient, payload: dict[str, Any]) -> Outcome:
        doc = self._find(client, payload)
        cancelled = bool(payload.get("cancelled"))
        if doc is None and cancelled:
            return self._ack(None, "cancelled before it was reserved: nothing to release in 1C")
        if doc is not None and in_desired_state(doc, payload):
            return self._ack(doc, "1C already holds this state")
        if doc is not None and not cancelled and doc.get("Статус") in MOVED_ON:
            return self._ack(doc, f"1C has moved the order on (Статус {doc.get('Статус')}); left as is")
        body = document_body(payload, client.base)
        if doc is None:
            ref = document_ref(payload)
            try:
                doc = client.create(ENTITY, {"Ref_Key": ref, **body})
            except OneCQueryError as exc:
                if exc.code != KEY_EXISTS:
                    raise
                doc = client.read(ENTITY, ref)  # our own earlier create (its answer was lost)
                if doc is None:
                    raise
                if not in_desired_state(doc, payload):
                    doc = client.update(ENTITY, ref, body)
        else:
            doc = client.update(ENTITY, str(doc["Ref_Key"]), body)
        client.post_document(ENTITY, str(doc["Ref_Key"]))
        return self._ack(doc, "cancelled: reserve released" if cancelled else "reserved")

    def _ack(self, doc: dict[str, Any] | None, message: str) -> Outcome:
        ref = None if doc is None else str(doc.get("Ref_Key"))
        number = "" if doc is None else f" ({doc.get('Number')})"
        return Outcome.acknowledged(ref, f"{message}{number}", requests=list(self._requests))
