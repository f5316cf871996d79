"""The admin app (port 18100): health, the simulated clock, fault and rate-limit switches, a summary.

Endpoints
- ``GET /health``
- ``GET /clock``; ``POST /clock`` with one of ``{"minutes": n}``, ``{"hours": n}``, ``{"days": n}``
  or ``{"to": "YYYY-MM-DDTHH:MM:SSZ"}`` — advances the world (:mod:`sellerflow_emulators.clock`)
- ``GET /faults``, ``GET|PUT|DELETE /faults/{vendor}`` — PUT takes one rule or a list, e.g.
  ``{"kind": "server_error", "rate": 0.2, "status": 503, "paths": "/v4/posting/*"}`` or
  ``{"kind": "timeout", "count": 3}``; it replaces the vendor's rules
- ``GET /limits``, ``PUT /limits`` (``{"enabled": false}`` switches every limit off),
  ``PUT|DELETE /limits/{vendor}/{group}`` (``{"limit": 10, "window_s": 60, "burst": 2,
  "parallel": null}`` or ``{"unlimited": true}``; DELETE restores the vendor default)
- ``GET /summary`` — row counts per table and per account
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict

from sellerflow_emulators import clock
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.limits import parse_config
from sellerflow_emulators.runtime import EmulatorState, format_ts, parse_ts

VENDORS = ("ozon", "wildberries", "yandex_market", "megamarket", "onec")
TABLES = (
    "accounts",
    "offers",
    "warehouses",
    "stocks",
    "products",
    "orders",
    "order_lines",
    "order_status_history",
    "onec_documents",
    "onec_document_lines",
    "reports",
    "report_lines",
    "push_log",
)


class ClockChange(BaseModel):
    """Exactly one of the fields: how far to move the clock, or where to."""

    model_config = ConfigDict(extra="forbid")

    minutes: int | None = None
    hours: int | None = None
    days: int | None = None
    to: str | None = None


class LimitsSwitch(BaseModel):
    """Global on/off switch of the rate limiter."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool


def _vendor(vendor: str) -> str:
    if vendor not in VENDORS:
        raise HTTPException(404, f"unknown vendor {vendor!r}; one of {list(VENDORS)}")
    return vendor


router = APIRouter()


def _emulator(request: Request) -> EmulatorState:
    return request.app.state.emulator  # type: ignore[no-any-return]


State = Annotated[EmulatorState, Depends(_emulator)]
_advance_lock = threading.Lock()


@router.get("/health")
def health(state: State) -> dict[str, object]:
    """Liveness plus the simulated clock."""
    return {"status": "ok", "clock": format_ts(state.now()), "world": str(state.db_path)}


@router.get("/clock")
def get_clock(state: State) -> dict[str, object]:
    """The simulated clock."""
    return {"clock": format_ts(state.now())}


@router.post("/clock")
def post_clock(state: State, change: ClockChange) -> dict[str, object]:
    """Advance the world by an interval or to a moment."""
    given = [name for name, value in change.model_dump().items() if value is not None]
    if len(given) != 1:
        raise HTTPException(422, "give exactly one of minutes, hours, days, to")
    with _advance_lock:
        now = state.now()
        if change.to is not None:
            try:
                target = parse_ts(change.to)
            except ValueError as exc:
                raise HTTPException(422, "to must look like 2026-10-01T00:00:00Z") from exc
        else:
            target = now + timedelta(
                minutes=change.minutes or 0, hours=change.hours or 0, days=change.days or 0
            )
        try:
            result = clock.advance(state.conn(), target)
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from exc
    return {"clock": result.clock_to, **result.to_json()}


@router.get("/faults")
def list_faults(state: State) -> dict[str, object]:
    """Every vendor's fault rules."""
    return {"faults": state.faults.snapshot()}


@router.get("/faults/{vendor}")
def get_faults(state: State, vendor: str) -> dict[str, object]:
    """One vendor's fault rules."""
    return {"vendor": _vendor(vendor), "rules": state.faults.snapshot().get(vendor, [])}


@router.put("/faults/{vendor}")
def put_faults(
    state: State, vendor: str, body: Annotated[dict[str, Any] | list[dict[str, Any]], Body()]
) -> dict[str, object]:
    """Replace a vendor's fault rules with one rule or a list of rules."""
    _vendor(vendor)
    specs = body if isinstance(body, list) else [body]
    try:
        rules = [parse_rule(spec) for spec in specs]
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    state.faults.configure(vendor, rules)
    return {"vendor": vendor, "rules": state.faults.snapshot().get(vendor, [])}


@router.delete("/faults/{vendor}")
def delete_faults(state: State, vendor: str) -> dict[str, object]:
    """Switch a vendor's faults off."""
    state.faults.clear(_vendor(vendor))
    return {"vendor": vendor, "rules": []}


@router.delete("/faults")
def delete_all_faults(state: State) -> dict[str, object]:
    """Switch every fault off."""
    state.faults.clear()
    return {"faults": {}}


@router.get("/limits")
def list_limits(state: State) -> dict[str, object]:
    """Effective limits per vendor and method group."""
    return {"enabled": state.limits.enabled, "limits": state.limits.snapshot()}


@router.put("/limits")
def switch_limits(state: State, switch: LimitsSwitch) -> dict[str, object]:
    """Switch the rate limiter on or off as a whole."""
    state.limits.enabled = switch.enabled
    return {"enabled": state.limits.enabled}


@router.put("/limits/{vendor}/{group}")
def put_limit(
    state: State, vendor: str, group: str, body: Annotated[dict[str, Any], Body()]
) -> dict[str, object]:
    """Override one method group's limit."""
    _vendor(vendor)
    try:
        config = parse_config(body)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    state.limits.override(vendor, group, config)
    return {"vendor": vendor, "group": group, "limit": state.limits.snapshot()[vendor][group]}


@router.delete("/limits/{vendor}/{group}")
def delete_limit(state: State, vendor: str, group: str) -> dict[str, object]:
    """Back to the vendor's default for that group."""
    _vendor(vendor)
    state.limits.restore(vendor, group)
    return {"vendor": vendor, "group": group, "limit": state.limits.snapshot()[vendor].get(group)}


@router.get("/summary")
def summary(state: State) -> dict[str, object]:
    """Row counts per table and per account."""
    return _summary(state)


def create_app(state: EmulatorState) -> FastAPI:
    """Build the admin app over the shared emulator state."""
    app = FastAPI(title="sellerflow emulators — admin", version="1")
    app.state.emulator = state
    app.include_router(router)
    return app


def _summary(state: EmulatorState) -> dict[str, object]:
    conn = state.conn()
    now = format_ts(state.now())
    tables = {table: conn.execute(f"select count(*) from {table}").fetchone()[0] for table in TABLES}
    accounts: dict[str, dict[str, object]] = {}
    for row in conn.execute("select id, marketplace from accounts order by id"):
        account_id = row[0]
        orders, visible = conn.execute(
            "select count(*), coalesce(sum(created_at <= ?), 0) from orders where account_id = ?",
            (now, account_id),
        ).fetchone()
        reports, published = conn.execute(
            "select count(*), coalesce(sum(published_at <= ?), 0) from reports where account_id = ?",
            (now, account_id),
        ).fetchone()
        accounts[account_id] = {
            "marketplace": row[1],
            "offers": conn.execute(
                "select count(*) from offers where account_id = ?", (account_id,)
            ).fetchone()[0],
            "orders": orders,
            "orders_visible": visible,
            "reports": reports,
            "reports_published": published,
            "pushes": conn.execute(
                "select count(*) from push_log where account_id = ?", (account_id,)
            ).fetchone()[0],
        }
    onec: dict[str, dict[str, int]] = {}
    for base_id, doc_type, count in conn.execute(
        "select base_id, doc_type, count(*) from onec_documents group by base_id, doc_type order by 1, 2"
    ):
        onec.setdefault(base_id, {})[doc_type] = count
    return {"clock": now, "tables": tables, "accounts": accounts, "onec_documents": onec}
