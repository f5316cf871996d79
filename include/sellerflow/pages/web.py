"""Rendering helpers shared by the pages: Jinja2 environment, number formats, the page list for navigation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sellerflow.pages.menu import PAGES

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def money(value: Any) -> str:
    """Roubles as accountants read them: 1 234 567,89 (empty for null)."""
    if value is None:
        return ""
    text = f"{Decimal(value):,.2f}".replace(",", "\u00a0").replace(".", ",")
    return text.replace("-", "−")


def number(value: Any) -> str:
    """An integer with thin grouping (empty for null)."""
    if value is None:
        return ""
    return f"{int(value):,}".replace(",", "\u00a0").replace("-", "−")


def when(value: Any) -> str:
    """A date or a moment, short."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def duration(value: Any) -> str:
    """A timedelta as "2 д 6 ч", "7 мин" (empty for null)."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [
        f"{days} д" if days else "",
        f"{hours} ч" if hours else "",
        f"{minutes} мин" if minutes and not days else "",
    ]
    return " ".join(p for p in parts if p) or f"{seconds} с"


env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    finalize=lambda value: "" if value is None else value,  # an empty cell, never "None"
)
env.filters.update(money=money, number=number, when=when, duration=duration)


def base_url(request: Request) -> str:
    """Where the pages live for this request (/sellerflow/pages under Airflow's api-server)."""
    return f"{request.scope.get('root_path', '')}/pages"


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    """One page, with the navigation and the base URL every link starts from."""
    page = env.get_template(template).render(base=base_url(request), pages=PAGES, request=request, **context)
    return HTMLResponse(page)
