"""Asynchronous reports: goods realization and the united marketplace services report.

Flow (docs reference/reports/generateGoodsRealizationReport and getReportInfo; spec
GenerateReportResponse / ReportInfoDTO):
``POST /v2/reports/goods-realization/generate?format=FILE|CSV|JSON`` with ``{campaignId, year, month}``
→ ``{"status": "OK", "result": {"reportId", "estimatedGenerationTime"}}``; then
``GET /v2/reports/info/{reportId}`` → ``PENDING`` → ``PROCESSING`` → ``DONE`` with ``file`` (a URL this
emulator serves, without auth like the vendor's pre-signed links). The status advances one step per
poll so clients must poll as documented; a month with no published report is ``DONE`` with
``subStatus: NO_DATA`` and no file. The ``report_late`` fault keeps a due report in ``PROCESSING``.
The report id is self-describing (campaign, period, format, request time), so no table is needed.

Services (docs reference/reports/generateUnitedMarketplaceServicesReport; spec
GenerateUnitedMarketplaceServicesReportRequest): ``POST /v2/reports/united-marketplace-services/generate
?format=FILE|CSV|JSON&language=RU|EN`` with ``{businessId, dateFrom+dateTo | yearFrom+monthFrom+yearTo+monthTo,
placementPrograms?, inns?, campaignIds?}``, per cabinet (the quota and the parallel cap count per business),
then the same ``info`` flow; the file is rendered by :mod:`.services_file`. Period rules: the two period types
cannot be mixed and one is required (spec: "Заказать отчеты обоих типов одним запросом нельзя"); ``dateTo``
is at most 3 months after ``dateFrom`` (spec: "Максимальный период — 3 месяца": ``dateTo`` before the same day
three months on); the deprecated ``dateTimeFrom``/``dateTimeTo`` count as dates. Where the spec is silent the
emulator decides, and says so: [?] the act period needs all four fields and ``from`` not after ``to``, with no
length limit; [?] the error texts of these checks are ours (the docs give none); [?] ``campaignIds`` of
another cabinet answer like campaign methods do (403, or 404 when unknown); [?] ``language`` is checked but
changes nothing (service names stay Russian, XLSX headers English). The list filters must have unique items.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import threading
from calendar import monthrange
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from sellerflow_emulators.runtime import EmulatorState, format_ts
from sellerflow_emulators.yandex_market import realization_file, services_file
from sellerflow_emulators.yandex_market.auth import VENDOR
from sellerflow_emulators.yandex_market.catalog import placement_type
from sellerflow_emulators.yandex_market.errors import YmError, bad_request
from sellerflow_emulators.yandex_market.guard import guard
from sellerflow_emulators.yandex_market.render import msk_iso

FORMATS = ("FILE", "CSV", "JSON")
LANGUAGES = ("RU", "EN")
REALIZATION_PREFIX = "gr-"
SERVICES_PREFIX = "ums-"
ESTIMATED_MS = 3000
POLLS_UNTIL_DONE = 3  # 1st poll PENDING, 2nd PROCESSING, 3rd and later DONE


class GenerateGoodsRealizationReportRequest(BaseModel):
    campaignId: int = Field(ge=1)
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)


class GenerateUnitedMarketplaceServicesReportRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    businessId: int = Field(ge=1)
    dateTimeFrom: datetime | None = None  # deprecated in the spec, still accepted
    dateTimeTo: datetime | None = None
    dateFrom: date | None = None
    dateTo: date | None = None
    yearFrom: int | None = Field(default=None, ge=1, le=9999)
    monthFrom: int | None = Field(default=None, ge=1, le=12)
    yearTo: int | None = Field(default=None, ge=1, le=9999)
    monthTo: int | None = Field(default=None, ge=1, le=12)
    placementPrograms: list[Literal["FBS", "FBY", "DBS", "LAAS"]] | None = Field(default=None, min_length=1)
    inns: list[str] | None = Field(default=None, min_length=1)
    campaignIds: list[int] | None = Field(default=None, min_length=1)


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


def services_period(body: GenerateUnitedMarketplaceServicesReportRequest) -> services_file.Period:
    """The report period of a services request, or the 400 the request deserves."""
    date_from = body.dateFrom or (body.dateTimeFrom.date() if body.dateTimeFrom else None)
    date_to = body.dateTo or (body.dateTimeTo.date() if body.dateTimeTo else None)
    months = {
        "yearFrom": body.yearFrom,
        "monthFrom": body.monthFrom,
        "yearTo": body.yearTo,
        "monthTo": body.monthTo,
    }
    by_dates = date_from is not None or date_to is not None
    by_acts = any(v is not None for v in months.values())
    if by_dates and by_acts:
        raise bad_request(
            "Only one period type may be given: dateFrom and dateTo, or yearFrom, monthFrom, yearTo and monthTo"
        )
    if not by_dates and not by_acts:
        raise bad_request(
            "Period is not specified: give dateFrom and dateTo, or yearFrom, monthFrom, yearTo and monthTo"
        )
    if by_dates:
        if date_from is None or date_to is None:
            raise bad_request(f"Missing field: {'dateFrom' if date_from is None else 'dateTo'}")
        if date_to < date_from:
            raise bad_request("dateFrom must not be later than dateTo")
        if date_to >= _add_months(date_from, 3):
            raise bad_request("The period must not be longer than 3 months")
        return services_file.Period("service", date_from, date_to)
    missing = [name for name, value in months.items() if value is None]
    if missing:
        raise bad_request(f"Missing field: {missing[0]}")
    first = date(int(months["yearFrom"]), int(months["monthFrom"]), 1)  # type: ignore[arg-type]
    last_month = date(int(months["yearTo"]), int(months["monthTo"]), 1)  # type: ignore[arg-type]
    if last_month < first:
        raise bad_request("yearFrom/monthFrom must not be later than yearTo/monthTo")
    return services_file.Period("act", first, _add_months(last_month, 1) - timedelta(days=1))


def _unique(name: str, items: list[Any] | None) -> None:
    if items is not None and len(set(items)) != len(items):
        raise bad_request(f"Invalid value of field ({name}): items must be unique")


def encode_report_id(payload: dict[str, Any], prefix: str = REALIZATION_PREFIX) -> str:
    """Opaque, self-describing report id."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return prefix + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(report_id: str, prefix: str, fields: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """The payload of a report id issued with ``prefix``, which must carry ``fields`` (each cast must accept
    its value); 404 for ids we never issued."""
    try:
        if not report_id.startswith(prefix):
            raise ValueError(report_id)
        body = report_id[len(prefix) :]
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return {**{name: cast(payload[name]) for name, cast in fields.items()}, **payload}
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise YmError(404, f"Report not found: '{report_id}'") from exc


def decode_services_id(report_id: str) -> dict[str, Any]:
    """The payload of a services report id; 404 for ids we never issued."""
    return _decode(report_id, SERVICES_PREFIX, {"b": int, "k": str, "a": str, "z": str})


def _services_sheets(conn: Any, payload: dict[str, Any], now: str) -> dict[str, list[dict[str, Any]]]:
    """The sheets of a services report id at ``now``."""
    filters = services_file.Filters(
        campaign_ids=tuple(payload["cs"]) if payload.get("cs") else None,
        programs=tuple(payload["pp"]) if payload.get("pp") else None,
        inns=tuple(payload["in"]) if payload.get("in") else None,
    )
    period = services_file.Period(
        payload["k"], date.fromisoformat(payload["a"]), date.fromisoformat(payload["z"])
    )
    campaigns = services_file.cabinet_campaigns(conn, payload["b"], filters)
    lines = services_file.fetch_lines(conn, [str(c["id"]) for c in campaigns], period, now)
    return services_file.build_sheets(conn, campaigns, lines, now)


def decode_report_id(report_id: str) -> dict[str, Any]:
    """Inverse of :func:`encode_report_id` for goods-realization ids; 404 for ids we never issued."""
    return _decode(report_id, REALIZATION_PREFIX, {"c": int, "y": int, "m": int, "f": str})


class _Tickets:
    """Issued report ids and how often each was polled (the status advances one step per poll)."""

    def __init__(self) -> None:
        self._polls: dict[str, int] = {}
        self._lock = threading.Lock()
        self._sequence = itertools.count(1)  # every generate call gets its own id, as with the vendor

    def issue(
        self, state: EmulatorState, payload: dict[str, Any], prefix: str = REALIZATION_PREFIX
    ) -> dict[str, Any]:
        """A new report id for ``payload`` (stamped with the request time) as the generate answer."""
        payload = {**payload, "t": format_ts(state.now()), "n": next(self._sequence)}
        report_id = encode_report_id(payload, prefix)
        with self._lock:
            self._polls[report_id] = 0
        return {"status": "OK", "result": {"reportId": report_id, "estimatedGenerationTime": ESTIMATED_MS}}

    def poll(self, report_id: str) -> int:
        """Count one poll of the report; how many there were, this one included."""
        with self._lock:
            self._polls[report_id] = self._polls.get(report_id, 0) + 1
            return self._polls[report_id]


def _services_payload(
    state: EmulatorState, body: GenerateUnitedMarketplaceServicesReportRequest, request: Request
) -> dict[str, Any]:
    """Check a services request (after the gate) and describe the report it asks for."""
    fmt = request.query_params.get("format", "FILE")
    language = request.query_params.get("language", "RU")
    ctx = guard(request, state, "generateUnitedMarketplaceServicesReport", business_id=body.businessId)
    if fmt not in FORMATS:
        raise bad_request(f"Invalid value of parameter 'format': '{fmt}'")
    if language not in LANGUAGES:
        raise bad_request(f"Invalid value of parameter 'language': '{language}'")
    for name in ("placementPrograms", "inns", "campaignIds"):
        _unique(name, getattr(body, name))
    for campaign_id in body.campaignIds or ():
        ctx.cabinet.campaign(state.conn(), campaign_id)  # 403/404 for a campaign not in the cabinet
    period = services_period(body)
    return {
        "b": body.businessId,
        "k": period.kind,
        "a": period.first.isoformat(),
        "z": period.last.isoformat(),
        "cs": body.campaignIds,
        "pp": body.placementPrograms,
        "in": body.inns,
        "f": fmt,
        "l": language,
    }


def _decoded(
    request: Request, state: EmulatorState, decode: Callable[[str], dict[str, Any]], report_id: str
) -> dict[str, Any]:
    """The payload of a report id; for an id we never issued, the caller is still authenticated first."""
    try:
        return decode(report_id)
    except YmError:
        guard(request, state, "getReportInfo")  # a bad token still answers 401/403 first
        raise


def _info_result(
    state: EmulatorState,
    request: Request,
    polls: int,
    payload: dict[str, Any],
    file_url: str,
    has_data: Callable[[], bool],
) -> dict[str, Any]:
    """``ReportInfoDTO`` after ``polls`` polls: PENDING, PROCESSING, then DONE with the file or NO_DATA."""
    result: dict[str, Any] = {"generationRequestedAt": msk_iso(payload["t"])}
    fault = getattr(request.state, "ym_fault", None)
    if polls >= POLLS_UNTIL_DONE and not (fault and fault.kind == "report_late"):
        result["status"] = "DONE"
        result["generationFinishedAt"] = msk_iso(format_ts(state.now()))
        if has_data():
            suffix = "xlsx" if payload["f"] == "FILE" else "zip"
            result["file"] = f"{file_url}.{suffix}"
        else:
            result["subStatus"] = "NO_DATA"
    else:
        result["status"] = "PENDING" if polls == 1 else "PROCESSING"
        result["estimatedGenerationTime"] = ESTIMATED_MS
    return {"status": "OK", "result": result}


def _services_download(state: EmulatorState, report_id: str, headers: dict[str, str]) -> Response:
    payload = decode_services_id(report_id)
    sheets = _services_sheets(state.conn(), payload, format_ts(state.now()))
    content, media = services_file.FILE.render(sheets, payload["f"])
    return Response(content, media_type=media, headers=headers)


def _realization_download(state: EmulatorState, report_id: str, headers: dict[str, str]) -> Response:
    payload = decode_report_id(report_id)
    conn = state.conn()
    account = conn.execute(
        "select * from accounts where marketplace = ? and campaign_id = ?", (VENDOR, str(payload["c"]))
    ).fetchone()
    if account is None:
        raise YmError(404, f"Report not found: '{report_id}'")
    lines = realization_file.fetch_lines(
        conn, str(account["id"]), payload["y"], payload["m"], format_ts(state.now())
    )
    sheets = realization_file.build_sheets(lines, placement_type(conn, account))
    content, media = realization_file.FILE.render(sheets, payload["f"])
    return Response(content, media_type=media, headers=headers)


def build_router(state: EmulatorState) -> APIRouter:
    """Routes of the report endpoints and of the served report files."""
    router = APIRouter()
    tickets = _Tickets()

    @router.post("/v2/reports/goods-realization/generate")
    def generate(body: GenerateGoodsRealizationReportRequest, request: Request) -> dict[str, Any]:
        fmt = request.query_params.get("format", "FILE")
        guard(request, state, "generateGoodsRealizationReport", campaign_id=body.campaignId)
        if fmt not in FORMATS:
            raise bad_request(f"Invalid value of parameter 'format': '{fmt}'")
        return tickets.issue(state, {"c": body.campaignId, "y": body.year, "m": body.month, "f": fmt})

    @router.post("/v2/reports/united-marketplace-services/generate")
    def generate_services(
        body: GenerateUnitedMarketplaceServicesReportRequest, request: Request
    ) -> dict[str, Any]:
        return tickets.issue(state, _services_payload(state, body, request), SERVICES_PREFIX)

    @router.get("/v2/reports/info/{reportId}")
    def info(reportId: str, request: Request) -> dict[str, Any]:
        base = f"{str(request.base_url).rstrip('/')}/reports-files/{reportId}"
        now = format_ts(state.now())
        if reportId.startswith(SERVICES_PREFIX):
            services = _decoded(request, state, decode_services_id, reportId)
            guard(request, state, "getReportInfo", business_id=services["b"])
            return _info_result(
                state,
                request,
                tickets.poll(reportId),
                services,
                f"{base}/united-marketplace-services",
                lambda: services_file.has_rows(_services_sheets(state.conn(), services, now)),
            )
        payload = _decoded(request, state, decode_report_id, reportId)
        ctx = guard(request, state, "getReportInfo", campaign_id=payload["c"])
        account_id = str(ctx.account["id"])
        return _info_result(
            state,
            request,
            tickets.poll(reportId),
            payload,
            f"{base}/goods-realization",
            lambda: bool(
                realization_file.fetch_lines(state.conn(), account_id, payload["y"], payload["m"], now)
            ),
        )

    @router.get("/reports-files/{reportId}/{filename}")
    def download(reportId: str, filename: str) -> Response:
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if reportId.startswith(SERVICES_PREFIX):
            return _services_download(state, reportId, headers)
        return _realization_download(state, reportId, headers)

    return router
