"""The 1C OData v3 client: Basic auth, JSON, verified $top/$skip paging, virtual tables, retries.

Protocol facts (1C:Enterprise 8.3.27 Developer Guide §17.4; shared docs part C): JSON via ``$format=json``;
no server-driven paging, so lists are read with ``$top``/``$skip`` under a stable ``$orderby`` until a short
page; ``Set/$count`` answers a plain integer (with a UTF-8 BOM); virtual tables are functions bound to a
register: ``AccumulationRegister_X/Balance(Period=…,Condition='…')``, ``InformationRegister_X/SliceLast(…)``.

Paging is verified, because a slow server's data moves while it is being read (and the emulator's
``duplicate_page``/``shifted_page`` faults do the same): every page after the first re-reads the previous
page's last record, and a page whose first record is not that record is asked again; a listing that cannot
be stitched is restarted. ``list_complete`` also compares the distinct keys read with ``$count``.

Retries (tenacity): timeouts, dropped connections, the web server's 5xx pages and 503 "session pool full"
(honouring ``Retry-After``) are retried with exponential back-off and jitter; 1C's own errors — code -1
business errors included — are raised at once as :mod:`.errors` exceptions with 1C's code and message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from sellerflow.sources._http.client import ClientStats
from sellerflow.sources._http.redact import LOGGERS, install_log_filter, register_secrets
from sellerflow.sources.onec import odata
from sellerflow.sources.onec.base import OneCBase
from sellerflow.sources.onec.errors import (
    OneCError,
    OneCNotFoundError,
    OneCTransientError,
    error_from_response,
    is_html,
    login_page_error,
)

logger = logging.getLogger(__name__)

Record = dict[str, Any]
KeyFn = Callable[[Record], object]
PAGE_RESTARTS = 3
# Minimal metadata adds a "<Ref>@navigationLinkUrl" per reference to every row: on a slow link that is
# a third of the bytes for nothing the pipelines read.
JSON_FORMAT = "application/json;odata=nometadata"
# Loggers of the 1C extraction that may print request lines or 1C's answers (filters do not inherit).
ONEC_LOGGERS = (
    __name__,
    "sellerflow.sources.onec.extract",
    "sellerflow.sources.onec.documents",
    "sellerflow.sources.onec.snapshots",
)


class OneCClient:
    """Calls to one base; counts every HTTP request it sends (``stats.calls``, retries included)."""

    def __init__(self, base: OneCBase, transport: httpx.BaseTransport | None = None) -> None:
        self.base = base
        self.stats = ClientStats()
        # Called before every HTTP request (the reverse-ETL sender waits for the shared rate limiter here).
        self.before_request: Callable[[str, str], None] | None = None
        # The password is masked in every error message and log line, as the marketplace tokens are (Airflow's
        # own secrets masker also hides it once the task read the connection; this covers every other caller).
        register_secrets(base.secrets())
        install_log_filter((*LOGGERS, *ONEC_LOGGERS))
        self._http = httpx.Client(
            base_url=base.odata_url.rstrip("/") + "/",
            auth=(base.username, base.password),
            timeout=httpx.Timeout(base.timeout_s, connect=min(30.0, base.timeout_s)),
            headers={"Accept": "application/json"},
            transport=transport,
        )

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self.stats.calls

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> OneCClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one request ----------------------------------------------------------------------
    def _send(
        self,
        resource: str,
        params: Mapping[str, str],
        method: str = "GET",
        body: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        url = odata.resource_path(resource)
        query = odata.query_string(params)
        what = f"{method} {resource}"
        self.stats.calls += 1
        if self.before_request is not None:
            self.before_request(method, resource)
        try:
            response = self._http.request(method, f"{url}?{query}" if query else url, json=body)
        except httpx.TimeoutException as exc:
            raise OneCTransientError(
                f"1C base {self.base.base_id}: {what} timed out after {self.base.timeout_s:.0f} s "
                f"({type(exc).__name__})",
                base_id=self.base.base_id,
            ) from exc
        except httpx.TransportError as exc:
            raise OneCTransientError(
                f"1C base {self.base.base_id}: {what} failed: {type(exc).__name__}: {exc}",
                base_id=self.base.base_id,
            ) from exc
        if response.status_code >= 400:
            raise error_from_response(self.base.base_id, what, response)
        if is_html(response):
            raise login_page_error(self.base.base_id, what)
        return response

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        backoff = wait_exponential_jitter(initial=self.base.retry_initial_s, max=self.base.retry_max_s)(state)
        if isinstance(error, OneCError) and error.retry_after_s is not None:
            return min(max(error.retry_after_s, self.base.retry_initial_s), self.base.retry_max_s)
        return backoff

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        self.stats.retries += 1
        logger.warning(
            "1C %s: attempt %d failed (%s); retrying", self.base.base_id, state.attempt_number, error
        )

    def get(self, resource: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        """One GET with retries on transient failures; raises a :class:`OneCError` subclass otherwise."""
        return self._retrying()(self._send, resource, dict(params or {}))

    def _retrying(self) -> Retrying:
        """Retries on transient failures (the same for reads and writes)."""
        return Retrying(
            stop=stop_after_attempt(self.base.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(OneCTransientError),
            before_sleep=self._log_retry,
            reraise=True,
        )

    def get_json(self, resource: str, params: Mapping[str, str] | None = None) -> Record:
        """A JSON answer as a dict, without 1C's per-property navigation links (``odata=nometadata``)."""
        response = self.get(resource, {"$format": JSON_FORMAT, **(params or {})})
        return self._entity(response, f"GET {resource}")

    # -- writes (1C:Enterprise 8.3.27 Developer Guide §17.4.13; shared docs C5) --------------------------
    def _write(
        self,
        method: str,
        resource: str,
        body: Mapping[str, Any] | None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One write with the same retries as reads: every write sellerflow makes is safe to repeat (a create
        carries its own ``Ref_Key``, so a repeat is refused with code 15 instead of creating twice)."""
        return self._retrying()(self._send, resource, dict(params or {}), method, body)

    def _entity(self, response: httpx.Response, what: str) -> Record:
        """The JSON object of an answer; a truncated or invalid body is transient (read again)."""
        try:
            body = response.json()
        except ValueError as exc:
            raise OneCTransientError(
                f"1C base {self.base.base_id}: {what} answered a truncated or invalid JSON body",
                base_id=self.base.base_id,
            ) from exc
        if not isinstance(body, dict):
            raise OneCError(f"1C base {self.base.base_id}: {what} answered JSON that is not an object")
        return body

    def create(self, entity: str, body: Mapping[str, Any]) -> Record:
        """``POST <Set>``: create an object (201); returns it as 1C stored it (``Ref_Key``, ``Number``...)."""
        response = self._write("POST", entity, body, {"$format": JSON_FORMAT})
        return self._entity(response, f"POST {entity}")

    def update(self, entity: str, ref: str, body: Mapping[str, Any]) -> Record:
        """``PATCH <Set>(guid'…')``: change the given properties (a tabular section is sent whole)."""
        resource = f"{entity}({odata.literal(odata.Guid(ref))})"
        response = self._write("PATCH", resource, body, {"$format": JSON_FORMAT})
        return self._entity(response, f"PATCH {resource}")

    def post_document(self, entity: str, ref: str, *, operational: bool = False) -> None:
        """``POST Document_X(guid'…')/Post``: run the posting handlers (a refusal is code -1, HTTP 500)."""
        resource = f"{entity}({odata.literal(odata.Guid(ref))})/Post"
        self._write("POST", resource, None, {"PostingModeOperational": "true" if operational else "false"})

    def unpost_document(self, entity: str, ref: str) -> None:
        """``POST Document_X(guid'…')/Unpost``: cancel posting (releases what the document reserved)."""
        self._write("POST", f"{entity}({odata.literal(odata.Guid(ref))})/Unpost", None)

    def find(
        self, entity: str, where: odata.Filter, *, fields: Iterable[str] | None = None, top: int = 50
    ) -> list[Record]:
        """Objects matching ``where`` (at most ``top``), in ``Ref_Key`` order."""
        params = {"$filter": where.text, "$top": str(top), "$orderby": odata.orderby(["Ref_Key"])}
        if fields is not None:
            params["$select"] = odata.select(fields)
        values = self.get_json(entity, params).get("value", [])
        if not isinstance(values, list):
            raise OneCError(f"1C base {self.base.base_id}: {entity} answered no 'value' list")
        return values

    def read(self, entity: str, ref: str) -> Record | None:
        """One object by ``Ref_Key`` (with its tabular sections), or None when 1C has no such object."""
        try:
            return self.get_json(f"{entity}({odata.literal(odata.Guid(ref))})")
        except OneCNotFoundError:
            return None

    # -- lists ----------------------------------------------------------------------------
    def count(self, entity: str, where: odata.Filter | None = None) -> int:
        """``Set/$count`` with an optional filter."""
        params = {"$filter": where.text} if where is not None else {}
        text = self.get(f"{entity}/$count", params).content.decode("utf-8-sig").strip()
        try:
            return int(text)
        except ValueError as exc:
            raise OneCError(f"1C base {self.base.base_id}: {entity}/$count answered {text[:50]!r}") from exc

    def pages(
        self,
        resource: str,
        key: KeyFn,
        *,
        order: Iterable[str],
        where: odata.Filter | None = None,
        fields: Iterable[str] | None = None,
        page_size: int | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Iterator[list[Record]]:
        """Yield pages of ``resource`` in ``order``, each page stitched to the previous one by ``key``.

        Records are yielded at most once per listing; if the data moved so far that pages no longer
        stitch, the listing restarts (already yielded records may then come again: loaders dedup them).
        """
        size = page_size or self.base.page_size
        params: dict[str, str] = {"$orderby": odata.orderby(order), **(extra or {})}
        if where is not None:
            params["$filter"] = where.text
        if fields is not None:
            params["$select"] = odata.select(fields)
        for restart in range(PAGE_RESTARTS):
            stitched = yield from self._stitched_pages(resource, key, params, size)
            if stitched:
                return
            logger.warning(
                "1C %s %s: pages did not stitch; restart %d", self.base.base_id, resource, restart + 1
            )
        raise OneCError(
            f"1C base {self.base.base_id}: {resource} kept shifting while it was paged "
            f"({PAGE_RESTARTS} restarts); try a smaller window or a quieter time"
        )

    def _stitched_pages(
        self, resource: str, key: KeyFn, params: dict[str, str], size: int
    ) -> Generator[list[Record], None, bool]:
        """Pages until a short one (True), or False once a page kept moving (the listing must restart)."""
        skip, last = 0, None
        while True:
            page = None
            for _attempt in range(PAGE_RESTARTS):
                overlap = 0 if last is None else 1
                page_params = {**params, "$top": str(size + overlap), "$skip": str(max(0, skip - overlap))}
                values = self.get_json(resource, page_params).get("value", [])
                if not isinstance(values, list):
                    raise OneCError(f"1C base {self.base.base_id}: {resource} answered no 'value' list")
                if last is None or (values and key(values[0]) == last):
                    page = values[overlap:]
                    break
                logger.warning(
                    "1C %s %s: page at $skip=%d moved; asking again", self.base.base_id, resource, skip
                )
            if page is None:
                return False
            logger.info("1C %s %s: %d records at $skip=%d", self.base.base_id, resource, len(page), skip)
            if page:
                yield page
                last = key(page[-1])
            if len(page) < size:
                return True
            skip += size

    def list_complete(
        self,
        entity: str,
        key: KeyFn,
        *,
        order: Iterable[str],
        where: odata.Filter | None = None,
        fields: Iterable[str] | None = None,
        page_size: int | None = None,
    ) -> tuple[dict[object, Record], bool]:
        """Every record of an entity set by key, and whether the distinct count matched ``$count``."""
        order = list(order)
        records: dict[object, Record] = {}
        for page in self.pages(entity, key, order=order, where=where, fields=fields, page_size=page_size):
            for record in page:
                records[key(record)] = record
        expected = self.count(entity, where)
        if len(records) != expected:
            logger.warning(
                "1C %s %s: read %d distinct records, $count says %d",
                self.base.base_id,
                entity,
                len(records),
                expected,
            )
        return records, len(records) == expected

    def by_refs(
        self, entity: str, refs: Iterable[str], *, fields: Iterable[str] | None = None
    ) -> Iterator[list[Record]]:
        """Fetch entities by ``Ref_Key`` in batches of ``refs_per_request`` (1C's OData has no ``in``)."""
        refs = list(dict.fromkeys(refs))
        step = self.base.refs_per_request
        for start in range(0, len(refs), step):
            batch = refs[start : start + step]
            params = {"$filter": odata.any_of("Ref_Key", batch).text, "$top": str(len(batch))}
            if fields is not None:
                params["$select"] = odata.select(fields)
            values = self.get_json(entity, params).get("value", [])
            yield [v for v in values if v.get("Ref_Key") in batch]

    # -- virtual tables -------------------------------------------------------------------
    def _virtual(
        self, register: str, function: str, args: Mapping[str, str], key: KeyFn, order: list[str]
    ) -> Listing:
        return Listing(self, f"{register}/{function}({odata.function_args(args)})", key, order)

    def balance(
        self,
        register: str,
        dimensions: Iterable[str],
        *,
        period: datetime | None = None,
        where: odata.Filter | None = None,
    ) -> Listing:
        """``<register>/Balance(Period=…,Condition='…')`` paged by its dimensions (``X_Key`` names)."""
        dims = list(dimensions)
        args: dict[str, str] = {}
        if period is not None:
            args["Period"] = odata.datetime_literal(period, self.base.tz)
        if where is not None:
            args["Condition"] = odata.condition(where)
        return self._virtual(register, "Balance", args, _key_of(dims), dims)

    def slice_last(
        self,
        register: str,
        dimensions: Iterable[str],
        *,
        period: datetime | None = None,
        where: odata.Filter | None = None,
    ) -> Listing:
        """``<register>/SliceLast(Period=…,Condition='…')``: the latest record per dimension set."""
        dims = list(dimensions)
        args: dict[str, str] = {}
        if period is not None:
            args["Period"] = odata.datetime_literal(period, self.base.tz)
        if where is not None:
            args["Condition"] = odata.condition(where)
        return self._virtual(register, "SliceLast", args, _key_of(dims), dims)


class Listing:
    """Pages of a virtual table, then one check that its first record did not move (``verified``).

    Virtual tables have no ``$count``; stitching catches pages that moved after the first, and this
    ``$top=1`` re-read catches a first page that moved, so callers know whether the listing was whole.
    """

    def __init__(self, client: OneCClient, resource: str, key: KeyFn, order: list[str]) -> None:
        self.client, self.resource, self.key, self.order = client, resource, key, order
        self.verified: bool | None = None

    def __iter__(self) -> Iterator[list[Record]]:
        first = None
        for page in self.client.pages(self.resource, self.key, order=self.order):
            if first is None and page:
                first = self.key(page[0])
            yield page
        params = {"$orderby": odata.orderby(self.order), "$top": "1", "$skip": "0"}
        head = self.client.get_json(self.resource, params).get("value", [])
        self.verified = (self.key(head[0]) if head else None) == first


def _key_of(names: list[str]) -> KeyFn:
    return lambda record: tuple(record.get(n) for n in names)


def iter_entity(base: OneCBase, entity: str, order_by: str = "Ref_Key") -> Iterator[list[Record]]:
    """Yield pages of an OData entity set in a stable order (the foundation's catalog pager)."""
    with OneCClient(base) as client:
        yield from client.pages(entity, lambda r: r.get(order_by), order=[order_by])
