"""Asynchronous reports: goods realization.

Flow (docs reference/reports/generateGoodsRealizationReport and getReportInfo; spec
GenerateReportResponse / ReportInfoDTO):
``POST /v2/reports/goods-realization/generate?format=FILE|CSV|JSON`` with ``{campaignId, year, month}``
→ ``{"status": "OK", "result": {"reportId", "estimatedGenerationTime"}}``; then
``GET /v2/reports/info/{reportId}`` → ``PENDING`` → ``PROCESSING`` → ``DONE`` with ``file`` (a URL this
emulator serves, without auth like the vendor's pre-signed links). The status advances one step per
poll so clients must poll as documented; a month with no published report is ``DONE`` with
``subStatus: NO_DATA`` and no file. The ``report_late`` fault keeps a due report in ``PROCESSING``.
The report id is self-describing (campaign, period, format, request time), so no table is needed.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import threading
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from sellerflow.emulators.runtime import EmulatorState, format_ts
from sellerflow.emulators.yandex_market import realization_file
from sellerflow.emulators.yandex_market.auth import VENDOR
from sellerflow.emulators.yandex_market.catalog import placement_type
from sellerflow.emulators.yandex_market.errors import YmError, bad_request
from sellerflow.emulators.yandex_market.guard import guard
from sellerflow.emulators.yandex_market.render import msk_iso

FORMATS = ("FILE", "CSV", "JSON")
ESTIMATED_MS = 3000
POLLS_UNTIL_DONE = 3  # 1st poll PENDING, 2nd PROCESSING, 3rd and later DONE


class GenerateGoodsRealizationReportRequest(BaseModel):
    campaignId: int = Field(ge=1)
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)


def encode_report_id(payload: dict[str, Any]) -> str:
    """Opaque, self-describing report id."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return "gr-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_report_id(report_id: str) -> dict[str, Any]:
    """Inverse of :func:`encode_report_id`; 404 for ids we never issued."""
    try:
        if not report_id.startswith("gr-"):
            raise ValueError(report_id)
        body = report_id[3:]
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return {
            "c": int(payload["c"]),
            "y": int(payload["y"]),
            "m": int(payload["m"]),
            "f": str(payload["f"]),
            **payload,
        }
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise YmError(404, f"Report not found: '{report_id}'") from exc


def build_router(state: EmulatorState) -> APIRouter:
    """Routes of the report endpoints and of the served report files."""
    router = APIRouter()
    polls: dict[str, int] = {}
    lock = threading.Lock()
    sequence = itertools.count(1)  # every generate call gets its own id, as with the vendor

    @router.post("/v2/reports/goods-realization/generate")
    def generate(body: GenerateGoodsRealizationReportRequest, request: Request) -> dict[str, Any]:
        fmt = request.query_params.get("format", "FILE")
        guard(request, state, "generateGoodsRealizationReport", campaign_id=body.campaignId)
        if fmt not in FORMATS:
            raise bad_request(f"Invalid value of parameter 'format': '{fmt}'")
        payload = {
            "c": body.campaignId,
            "y": body.year,
            "m": body.month,
            "f": fmt,
            "t": format_ts(state.now()),
            "n": next(sequence),
        }
        report_id = encode_report_id(payload)
        with lock:
            polls[report_id] = 0
        return {"status": "OK", "result": {"reportId": report_id, "estimatedGenerationTime": ESTIMATED_MS}}

    @router.get("/v2/reports/info/{reportId}")
    def info(reportId: str, request: Request) -> dict[str, Any]:
        try:
            payload = decode_report_id(reportId)
        except YmError:
            guard(request, state, "getReportInfo")  # a bad token still answers 401/403 first
            raise
        ctx = guard(request, state, "getReportInfo", campaign_id=payload["c"])
        with lock:
            polls[reportId] = polls.get(reportId, 0) + 1
            n = polls[reportId]
        result: dict[str, Any] = {"generationRequestedAt": msk_iso(payload["t"])}
        fault = getattr(request.state, "ym_fault", None)
        if n >= POLLS_UNTIL_DONE and not (fault and fault.kind == "report_late"):
            result["status"] = "DONE"
            result["generationFinishedAt"] = msk_iso(format_ts(state.now()))
            lines = realization_file.fetch_lines(
                state.conn(), str(ctx.account["id"]), payload["y"], payload["m"], format_ts(state.now())
            )
            if lines:
                suffix = "xlsx" if payload["f"] == "FILE" else "zip"
                base = str(request.base_url).rstrip("/")
                result["file"] = f"{base}/reports-files/{reportId}/goods-realization.{suffix}"
            else:
                result["subStatus"] = "NO_DATA"
        else:
            result["status"] = "PENDING" if n == 1 else "PROCESSING"
            result["estimatedGenerationTime"] = ESTIMATED_MS
        return {"status": "OK", "result": result}

    @router.get("/reports-files/{reportId}/{filename}")
    def download(reportId: str, filename: str) -> Response:
        payload = decode_report_id(reportId)
        conn = state.conn()
        account = conn.execute(
            "select * from accounts where marketplace = ? and campaign_id = ?", (VENDOR, str(payload["c"]))
        ).fetchone()
        if account is None:
            raise YmError(404, f"Report not found: '{reportId}'")
        lines = realization_file.fetch_lines(
            conn, str(account["id"]), payload["y"], payload["m"], format_ts(state.now())
        )
        sheets = realization_file.build_sheets(lines, placement_type(conn, account))
        if payload["f"] == "FILE":
            content, media = realization_file.to_xlsx(sheets), realization_file.XLSX_MEDIA
        else:
            content, media = realization_file.to_zip(sheets, payload["f"]), "application/zip"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        return Response(content=content, media_type=media, headers=headers)

    return router
