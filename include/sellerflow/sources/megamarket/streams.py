"""Megamarket entity streams into ``raw.megamarket_<entity>``.

What the merchant API lets a seller read (yandex-market-megamarket-1c.md part B) and how:

- ``shipments`` (+ derived ``shipment_statuses``, related ``offers`` and ``prices``): shipments created in
  a period by the search-then-get walk of ``walk`` (``order/search`` ids, oldest first, → ``order/get`` in
  batches). The first run backfills the horizon in slices that cut one walk, so a slice boundary costs no
  call; later runs walk from the watermark minus the overlap, checked against the ids already read at
  that second. The API has no "changed since" filter, so every shipment whose latest version in raw is
  not final (``DELIVERED``, ``*_CANCELED``) is re-read by id each run (``order/get``, ``GET_BATCH`` ids
  per call) — that is how status changes arrive, one version per change. Shipments quarantined for a
  missing field are re-read by id on the next run until they land.
- Stock and prices: Megamarket has only write methods (``stock/update``, ``manualPrice/save``, B4), no
  read. What is readable lands: ``offers`` (offerId, goodsId, name, VAT rate, category as shipments show
  them; no barcodes — the API never sends them) and ``prices`` (the list price, before discounts, on the
  newest shipment of each offer). Stock on Megamarket is what the seller pushes; the reverse-ETL outbox
  keeps the acknowledged values.
- ``report_rows`` (+ ``reports``): the commission reports, which no Megamarket API serves (B5): files the
  seller drops into the cabinet's folder (``file_import.drop_folder``), each read whole with pandas and
  checked against the column mapping before anything lands (``file_import``). A file is taken once per
  content (its SHA-256 is kept in the stream state); a changed file is taken again.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import psycopg
from psycopg import sql

from sellerflow.extract.stream import Derived, Page, RunContext, Slice, Stream, required_fields
from sellerflow.extract.windows import later, parse_time, rfc3339, split
from sellerflow.sources.megamarket.client import MegamarketClient, MegamarketError
from sellerflow.sources.megamarket.file_import import drop_folder, load_mapping, parse_report_file, row_key
from sellerflow.sources.megamarket.walk import GET_BATCH, SEARCH_PAGE, Position, Walk, created, msk
from sellerflow.warehouse.identifiers import table_name

logger = logging.getLogger(__name__)

FINAL_STATUSES = ("DELIVERED", "MERCHANT_CANCELED", "CUSTOMER_CANCELED")
CLOCK_SKEW = timedelta(days=1)  # the walk reaches past "now" so a vendor clock ahead of ours loses nothing
REPORT_PAGE = 1000
DELIVERY_OFFER = "delivery"  # the delivery fee line of merchant-delivered orders (B2), not a product
NOT_FOUND = "SHIPMENT_NOT_FOUND"


def _status_version(shipment: dict[str, Any]) -> dict[str, Any] | None:
    """One version per status a shipment (and its lots) was seen in."""
    if not shipment.get("shipmentId") or not shipment.get("status"):
        return None
    return {
        "shipmentId": shipment["shipmentId"],
        "status": shipment["status"],
        "subStatus": shipment.get("subStatus"),
        "items": [
            {"itemIndex": i.get("itemIndex"), "status": i.get("status"), "subStatus": i.get("subStatus")}
            for i in shipment.get("items") or []
            if isinstance(i, dict)
        ],
    }


def _catalog(shipments: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Offers and list prices as the page's shipments show them (the newest shipment last)."""
    offers: list[dict[str, Any]] = []
    prices: list[dict[str, Any]] = []
    ordered = sorted(shipments, key=lambda s: s.get("creationDate") or "")
    for shipment in ordered:
        for item in shipment.get("items") or []:
            offer = item.get("offerId") if isinstance(item, dict) else None
            if not offer or offer == DELIVERY_OFFER:
                continue
            offers.append(
                {
                    "offerId": offer,
                    "goodsId": item.get("goodsId"),
                    "itemName": item.get("itemName"),
                    "taxRate": item.get("taxRate"),
                    "categoryName": (item.get("goodsData") or {}).get("categoryName"),
                }
            )
            if item.get("price") is not None:
                prices.append({"offerId": offer, "price": item["price"]})
    return {"offers": offers, "prices": prices}


class MegamarketShipments(Stream):
    """FBS/DBS shipments with their lots, status history, and the offers and prices they show."""

    name = "shipments"
    entity = "shipments"
    key = "shipmentId"
    cadence = timedelta(minutes=10)
    derived = (Derived("shipment_statuses", "shipmentId", _status_version),)
    related_keys: ClassVar[dict[str, Any]] = {"offers": "offerId", "prices": "offerId"}

    def validate(self, record: dict[str, Any]) -> str | None:
        """A shipment needs its id, status, creation time and lots."""
        return required_fields(record, ("shipmentId", "status", "creationDate", "items"))

    def watermark(self, state: dict[str, Any]) -> datetime | None:
        """The newest creation time read."""
        return parse_time(state.get("created_wm"))

    # -- slices ---------------------------------------------------------------------------------------

    def slices(self, ctx: RunContext, state: dict[str, Any]) -> list[Slice]:
        """Created-at slices of one walk; after the first run, the open (and quarantined) shipments by id."""
        state.pop("_walk", None)
        state.pop("_tail", None)
        anchor = state.get("anchor") or {}
        if anchor.get("at"):  # the re-read overlap starts here; the next anchor is chosen among its seconds
            state["_tail"] = [[anchor["at"], list(anchor.get("ids") or [])]]
        end = ctx.now + CLOCK_SKEW
        watermark = parse_time(state.get("created_wm"))
        if watermark is None:
            start = ctx.now - ctx.horizon
            pieces = [
                Slice(f"created {w.label()}", "created", w.start, w.end)
                for w in split(start, end, ctx.backfill_slice)
            ]
        else:
            anchor_at = parse_time(anchor.get("at"))
            start = anchor_at if anchor_at is not None else watermark - ctx.overlap
            pieces = [Slice(f"created since {rfc3339(start)}", "created", start, end)]
            pieces[0].params["known"] = list(anchor.get("ids") or []) if anchor_at is not None else []
            ids = sorted(set(_open_shipments(ctx)) | set(state.get("retry_ids") or []))
            batch = _sizes(ctx)[1]
            pieces += [
                Slice(f"open shipments {n + 1}-{n + len(part)} of {len(ids)}", "open", params={"ids": part})
                for n in range(0, len(ids), batch)
                if (part := ids[n : n + batch])
            ]
        return pieces

    # -- pages ----------------------------------------------------------------------------------------

    def pages(self, ctx: RunContext, piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """One slice of the creation walk, or a batch of shipments re-read by id."""
        client = ctx.client
        assert isinstance(client, MegamarketClient)
        if piece.kind == "open":
            yield from self._reread(ctx, client, list(piece.params["ids"]), state)
            return
        assert piece.since is not None
        assert piece.until is not None
        stored = state.get("_walk")
        position = (
            Position.from_state(stored)
            if stored
            else Position(piece.since, list(piece.params.get("known") or []))
        )
        if position.done or (stored and position.date_from >= piece.until):
            return  # an earlier slice's last page already read past this one
        page_size, batch_size = _sizes(ctx)
        walk = Walk(client, position, ctx.now + CLOCK_SKEW, page_size, batch_size)
        for asked, shipments in walk.pages(stop_at=piece.until):
            self._observe(ctx, asked, shipments, state)
            state["_walk"] = position.to_state()
            yield Page(shipments, related=_catalog([s for s in shipments if self.validate(s) is None]))
        state["_walk"] = position.to_state()

    def _reread(
        self, ctx: RunContext, client: MegamarketClient, ids: list[str], state: dict[str, Any]
    ) -> Iterator[Page]:
        """``order/get`` for known ids; ids the vendor no longer knows are logged and dropped."""
        while ids:
            try:
                shipments = client.get_shipments(ids)
            except MegamarketError as exc:
                gone = exc.shipment_ids(NOT_FOUND)
                if not gone:
                    raise
                logger.warning(
                    "megamarket %s: %d shipments are unknown to order/get now: %s",
                    ctx.account.account_id,
                    len(gone),
                    ", ".join(sorted(gone)[:10]),
                )
                retry = set(state.get("retry_ids") or []) - gone
                state["retry_ids"] = sorted(retry)
                ids = [i for i in ids if i not in gone]
                continue
            retried = set(state.get("retry_ids") or [])
            self._observe(ctx, ids, shipments, state, walking=False)
            # Offers and prices come from the walk (newest shipment last); a shipment quarantined there
            # contributes them now. Open shipments re-read by id were counted when first walked.
            landing = [
                s for s in shipments if str(s.get("shipmentId")) in retried and self.validate(s) is None
            ]
            yield Page(shipments, related=_catalog(landing))
            return

    def _observe(
        self,
        ctx: RunContext,
        asked: list[str],
        shipments: list[dict[str, Any]],
        state: dict[str, Any],
        walking: bool = True,
    ) -> None:
        """Note the newest creation time, the recent ids (the next run's anchor) and quarantined ids."""
        retry = set(state.get("retry_ids") or [])
        by_position = len(shipments) == len(asked)
        timed: list[tuple[datetime, str]] = []
        for n, shipment in enumerate(shipments):
            sid = shipment.get("shipmentId") or (asked[n] if by_position else None)
            if self.validate(shipment) is None:
                retry.discard(str(sid))
            elif sid:
                retry.add(str(sid))
            if walking and sid and (moment := created(shipment)) is not None:
                timed.append((moment, str(sid)))
        if timed:
            timed.sort()
            state["_seen"] = rfc3339(later(parse_time(state.get("_seen")), timed[-1][0]))
            _remember(state, timed, ctx.overlap)
        state["retry_ids"] = sorted(retry)

    # -- state ----------------------------------------------------------------------------------------

    def slice_done(self, ctx: RunContext, piece: Slice, state: dict[str, Any]) -> None:
        """A landed created-at slice moves the watermark to the newest shipment read so far."""
        seen = parse_time(state.get("_seen"))
        if piece.kind == "created" and seen is not None:
            state["created_wm"] = rfc3339(later(parse_time(state.get("created_wm")), seen))

    def finish(self, ctx: RunContext, state: dict[str, Any]) -> None:
        """Keep the anchor of the next run's walk; a cabinet without shipments starts from now next time."""
        tail = state.pop("_tail", None) or []
        if tail:
            state["anchor"] = {"at": tail[0][0], "ids": tail[0][1]}
        state.setdefault("created_wm", rfc3339(ctx.now))
        state.pop("_walk", None)
        state.pop("_seen", None)
        if not state.get("retry_ids"):
            state.pop("retry_ids", None)


def _sizes(ctx: RunContext) -> tuple[int, int]:
    """``order/search`` page and ``order/get`` batch: the defaults, or the connection's extras
    ``search_page_size`` / ``get_batch_size`` (the vendor's maxima are unpublished)."""
    settings = ctx.account.settings
    return (
        int(settings.get("search_page_size") or SEARCH_PAGE),
        int(settings.get("get_batch_size") or GET_BATCH),
    )


def _remember(state: dict[str, Any], timed: list[tuple[datetime, str]], overlap: timedelta) -> None:
    """Keep the ids read per creation second over the last ``overlap``, plus the one second before it.

    ``timed`` is one page's ``(creation time, shipmentId)``, oldest first. The next run starts its walk at
    the oldest kept second (at or before its watermark minus the overlap) and checks that the first page
    starts with exactly the ids kept for it.
    """
    tail: deque[list[Any]] = deque(state.get("_tail") or [])
    for moment, shipment_id in timed:
        second = rfc3339(moment)
        if tail and tail[-1][0] == second:
            if shipment_id not in tail[-1][1]:
                tail[-1][1].append(shipment_id)
        elif not tail or tail[-1][0] < second:
            tail.append([second, [shipment_id]])
        # else: older than the newest second kept — a re-read behind the walk's front, nothing to keep
    cutoff = rfc3339(timed[-1][0] - overlap)
    while len(tail) >= 2 and tail[1][0] <= cutoff:
        tail.popleft()
    state["_tail"] = list(tail)


def _open_shipments(ctx: RunContext) -> list[str]:
    """Ids of the shipments whose latest version in raw is not in a final status."""
    table = table_name("megamarket", "shipments")
    with psycopg.connect(ctx.dsn) as conn:
        exists = conn.execute("select to_regclass(%s) is not null", (f"raw.{table}",)).fetchone()
        if not exists or not exists[0]:
            return []
        query = sql.SQL(
            "select natural_key from (select distinct on (natural_key) natural_key, "
            "payload->>'status' as status from {table} where account_id = %s "
            "order by natural_key, extracted_at desc, id desc) latest "
            "where status is null or status <> all(%s) order by natural_key"
        ).format(table=sql.Identifier("raw", table))
        rows = conn.execute(query, (ctx.account.account_id, list(FINAL_STATUSES))).fetchall()
    return [r[0] for r in rows]


# -- the commission report files ---------------------------------------------------------------------


class MegamarketCommissionReport(Stream):
    """Rows of the commission report files dropped into the cabinet's folder (no API serves them)."""

    name = "commission_report"
    entity = "report_rows"
    key = "№ п/п"  # replaced per report by ``row_key``
    cadence = timedelta(minutes=10)
    related_keys: ClassVar[dict[str, Any]] = {"reports": "id"}

    def validate(self, record: dict[str, Any]) -> str | None:
        """A row must name its order, offer and operation."""
        return required_fields(record, ("№ п/п", "Номер заказа", "Артикул продавца", "Тип операции"))

    def slices(self, ctx: RunContext, state: dict[str, Any]) -> list[Slice]:
        """One slice per file in the drop folder whose content was not taken yet."""
        folder = drop_folder(ctx.account.account_id, ctx.account.settings)
        taken = dict(state.get("taken_files") or {})
        out = []
        for path in sorted(folder.glob("*.xlsx")) if folder.is_dir() else []:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if taken.get(path.name) != digest:
                out.append(Slice(path.name, "file", params={"path": str(path), "sha256": digest}))
        return out

    def pages(self, ctx: RunContext, piece: Slice, state: dict[str, Any]) -> Iterator[Page]:
        """The file, checked whole first (a layout error lands nothing), then its rows with its header."""
        path = Path(piece.params["path"])
        mapping = load_mapping(ctx.account.settings.get("report_columns"))
        parsed = parse_report_file(path.read_bytes(), path.name, mapping, ctx.now)
        key = row_key(parsed.report_id)
        chunks = [parsed.rows[n : n + REPORT_PAGE] for n in range(0, len(parsed.rows), REPORT_PAGE)] or [[]]
        for chunk in chunks[:-1]:
            yield Page(chunk, key=key)
        yield Page(chunks[-1], related={"reports": [parsed.header]}, key=key)

    def slice_done(self, ctx: RunContext, piece: Slice, state: dict[str, Any]) -> None:
        """Remember the file's content as taken."""
        state["taken_files"] = {**(state.get("taken_files") or {}), piece.label: piece.params["sha256"]}


STREAMS: tuple[Stream, ...] = (MegamarketShipments(), MegamarketCommissionReport())


def stream_names() -> list[str]:
    """Names of the Megamarket streams, in run order."""
    return [s.name for s in STREAMS]


__all__ = ["STREAMS", "MegamarketCommissionReport", "MegamarketShipments", "msk", "stream_names"]
