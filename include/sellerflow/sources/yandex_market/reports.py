"""The asynchronous report flow the report streams share: generate → poll ``getReportInfo`` → download sheets.

Flow (official spec @ 1318e9b8, GenerateReportResponse / getReportInfo; yandex-market-megamarket-1c.md A5):
``POST <generate path>?format=JSON`` → ``reportId`` and ``estimatedGenerationTime`` (ms); poll
``GET /v2/reports/info/{reportId}`` until ``DONE`` (with ``file``, a pre-signed link valid 60 minutes, or
``subStatus: NO_DATA``) or ``FAILED``. The JSON format is a ZIP with one JSON array per sheet. Polls wait the
account's ``report_poll_seconds`` when set, else the estimate (at least 1 s, at most ``POLL_CAP_S``), at most
``report_max_polls`` times (``DEFAULT_MAX_POLLS``); a report not ready by then, or failed, gives None so the
stream leaves its month open for the next run.
"""

from __future__ import annotations

import io
import json
import logging
import time
import zipfile
from calendar import monthrange
from collections.abc import Iterator
from datetime import date
from typing import Any

from sellerflow.extract.stream import RunContext
from sellerflow.sources._http import ServerError

logger = logging.getLogger(__name__)

INFO = "/v2/reports/info/{report_id}"
DEFAULT_MAX_POLLS = 40
POLL_CAP_S = 30.0


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def generate_and_wait(ctx: RunContext, path: str, body: dict[str, Any], what: str) -> dict[str, Any] | None:
    """Generate a report at ``path`` and poll it: the final ``getReportInfo`` result (``DONE``), or None when
    it failed or was not ready after the polls. ``what`` names the report in the log (``services 2026-08``)."""
    started = ctx.client.request("POST", path, json=body, params={"format": "JSON"})
    result = (started or {}).get("result") or {}
    report_id = result.get("reportId")
    if not report_id:
        raise ServerError(
            f"yandex_market {what}: generate gave no reportId",
            vendor="yandex_market",
            account_id=ctx.account.account_id,
        )
    settings = ctx.account.settings
    interval = settings.get("report_poll_seconds")
    max_polls = int(settings.get("report_max_polls") or DEFAULT_MAX_POLLS)
    estimate_s = float(result.get("estimatedGenerationTime") or 1000) / 1000
    for _ in range(max_polls):
        time.sleep(float(interval) if interval is not None else min(max(estimate_s, 1.0), POLL_CAP_S))
        info = (ctx.client.request("GET", INFO.format(report_id=report_id)) or {}).get("result") or {}
        status = info.get("status")
        if status == "DONE":
            return info
        if status == "FAILED":
            logger.warning(
                "yandex_market/%s %s: generation FAILED (%s); the month stays open",
                ctx.account.account_id,
                what,
                info.get("subStatus"),
            )
            return None
        if info.get("estimatedGenerationTime"):
            estimate_s = float(info["estimatedGenerationTime"]) / 1000
    logger.warning(
        "yandex_market/%s %s: not ready after %d polls; the month stays open",
        ctx.account.account_id,
        what,
        max_polls,
    )
    return None


def sheets_of(archive: bytes) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(sheet, rows) of a JSON-format report archive, one sheet in memory at a time."""
    with zipfile.ZipFile(io.BytesIO(archive)) as files:
        for name in files.namelist():
            if not name.endswith(".json"):
                continue
            rows = json.loads(files.read(name))
            yield name.rsplit("/", 1)[-1].removesuffix(".json"), [r for r in rows if isinstance(r, dict)]
