"""Reading shipments created in a period: ``order/search`` (ids, oldest first) → ``order/get`` in batches.

``order/search`` (yandex-market-megamarket-1c.md B3 step 2) takes ``dateFrom``/``dateTo`` (ISO 8601 with
offset, both inclusive) and ``count``, and answers only ids, oldest first — no offset, no cursor, no
total. So the listing is a walk through creation time: each search starts at the creation second of the
newest shipment already read (inclusive, since more shipments may share that second) and the ids seen at
that second are skipped. The ids at that second are also what the next page must *start* with, which is
how a page that lost its first rows (a shifted page) is recognised and asked again. A walk with nothing
to compare its first page against (the very first backfill) confirms that page with one more search of
its leading seconds. ``order/get`` then fetches the new ids, at most ``GET_BATCH`` per call; the number of
calls is ``ceil(shipments / SEARCH_PAGE)`` searches plus as many gets, give or take one.

The position (next ``dateFrom``, the ids already read at that second, whether the walk reached its end)
is plain JSON, so a stream keeps it in its state between the slices of one run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sellerflow.extract.windows import parse_time, rfc3339
from sellerflow.sources._http import ServerError
from sellerflow.sources._http.paging import MAX_REPEATS
from sellerflow.sources.megamarket.client import MegamarketClient

logger = logging.getLogger(__name__)

SEARCH_PAGE = 1000  # order/search ``count``: the vendor default is 100, its maximum unpublished [?]
GET_BATCH = 1000  # shipment ids per order/get call [?]
MSK = timezone(timedelta(hours=3))


def msk(moment: datetime) -> str:
    """Megamarket's timestamp form: ISO 8601 with the Moscow offset, second precision."""
    return moment.astimezone(MSK).isoformat(timespec="seconds")


def created(shipment: dict[str, Any]) -> datetime | None:
    """A shipment's ``creationDate`` (aware), or None when missing or unreadable."""
    return parse_time(shipment.get("creationDate"))


@dataclass
class Position:
    """Where a walk stands: the next ``dateFrom`` and the ids already read at that second."""

    date_from: datetime
    known: list[str] = field(default_factory=list)
    done: bool = False

    def to_state(self) -> dict[str, Any]:
        """JSON form for a stream state."""
        return {"from": rfc3339(self.date_from), "known": self.known, "done": self.done}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Position:
        """Inverse of ``to_state``."""
        moment = parse_time(data.get("from"))
        assert moment is not None
        return cls(moment, list(data.get("known") or []), bool(data.get("done")))


class InconsistentSearch(ServerError):
    """``order/search`` kept answering pages that do not continue the previous one."""


def fetch(
    client: MegamarketClient, ids: list[str], batch_size: int = GET_BATCH
) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
    """``order/get`` for ``ids`` in batches: ``(asked ids, shipments)`` per call."""
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        yield batch, client.get_shipments(batch)


class Walk:
    """One walk through creation time up to ``date_to``, page by page (see the module docstring)."""

    def __init__(
        self,
        client: MegamarketClient,
        position: Position,
        date_to: datetime,
        page_size: int = SEARCH_PAGE,
        batch_size: int = GET_BATCH,
    ) -> None:
        self.client = client
        self.position = position
        self.date_to = date_to
        self.page_size = page_size
        self.batch_size = batch_size

    def _search(self, date_from: datetime, date_to: datetime) -> list[str]:
        ids = self.client.search_shipments(msk(date_from), msk(date_to), self.page_size)
        return list(dict.fromkeys(ids))  # a page served twice over repeats ids

    def _continuing_page(self) -> tuple[list[str], bool]:
        """The next search page, asked again until it starts with the ids known at its first second."""
        known = set(self.position.known)
        for _attempt in range(MAX_REPEATS):
            ids = self._search(self.position.date_from, self.date_to)
            if not known or set(ids[: len(known)]) == known:
                return ids, len(ids) >= self.page_size
            logger.warning(
                "megamarket %s: order/search from %s did not start with the %d shipments already read there; "
                "asking again",
                self.client.account.account_id,
                msk(self.position.date_from),
                len(known),
            )
        raise InconsistentSearch(
            f"order/search from {msk(self.position.date_from)} answered {MAX_REPEATS} pages that do not "
            "continue the previous one",
            vendor="megamarket",
            account_id=self.client.account.account_id,
        )

    def pages(self, stop_at: datetime | None = None) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
        """``(asked ids, shipments)`` per ``order/get`` call, oldest first; the position follows.

        Stops at the end of the period, or after the first page reaching ``stop_at`` (a slice boundary:
        the next slice continues from the position without asking anything twice).
        """
        confirm = not self.position.known and not self.position.done
        while not self.position.done:
            ids, full = self._continuing_page()
            known = set(self.position.known)
            fresh = [i for i in ids if i not in known]
            if full and not fresh:
                raise InconsistentSearch(
                    f"more than {self.page_size} shipments created at {msk(self.position.date_from)}: "
                    "order/search cannot page past them",
                    vendor="megamarket",
                    account_id=self.client.account.account_id,
                )
            shipments: list[dict[str, Any]] = []
            for asked, batch in fetch(self.client, fresh, self.batch_size):
                shipments.extend(batch)
                yield asked, batch
            if confirm:
                confirm = False
                missed = self._confirm_first_page(ids, shipments)
                for asked, batch in fetch(self.client, missed, self.batch_size):
                    shipments.extend(batch)
                    yield asked, batch
            self._advance(shipments, full)
            newest = self.position.date_from
            if stop_at is not None and newest >= stop_at:
                return

    def _confirm_first_page(self, ids: list[str], shipments: list[dict[str, Any]]) -> list[str]:
        """Ids the first page should have started with but did not (a page that lost its first rows)."""
        times = [t for s in shipments if (t := created(s)) is not None]
        until = min(times) if times else self.date_to
        again = self._search(self.position.date_from, until)
        asked = set(ids)
        missed = [i for i in again if i not in asked]
        if missed:
            logger.warning(
                "megamarket %s: the first order/search page had lost %d shipments; read them now",
                self.client.account.account_id,
                len(missed),
            )
        return missed

    def _advance(self, shipments: list[dict[str, Any]], full: bool) -> None:
        """Move to the newest creation second read; remember the ids read at it."""
        timed = [(t, str(s.get("shipmentId"))) for s in shipments if (t := created(s)) is not None]
        if timed:
            newest = max(t for t, _ in timed)
            at_newest = [sid for t, sid in timed if t == newest]
            if newest == self.position.date_from:
                at_newest = list(dict.fromkeys([*self.position.known, *at_newest]))
            self.position.date_from, self.position.known = newest, at_newest
        elif full:
            raise InconsistentSearch(
                "a full order/search page whose shipments carry no readable creationDate: cannot page on",
                vendor="megamarket",
                account_id=self.client.account.account_id,
            )
        self.position.done = not full
