"""The pages' routes, mounted by sellerflow.api.app under /sellerflow/pages; every route needs an Airflow login."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse

from sellerflow.pages import dashboards, exports, health, marts, reconciliation, upload
from sellerflow.pages.auth import current_user
from sellerflow.pages.db import artifact_path
from sellerflow.pages.reconciliation import Filters
from sellerflow.pages.web import PAGES, STATIC, base_url, render
from sellerflow.quality.artifacts import DOC_FILES, docs_dir

router = APIRouter(prefix="/pages", dependencies=[Depends(current_user)])


def filters_of(
    entity: str = "", marketplace: str = "", account: str = "", period: str = "", status: str = ""
) -> Filters:
    """The reconciliation filters from the query string."""
    return Filters(entity, marketplace, account, period, status)


@router.get("", include_in_schema=False)
@router.get("/", include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    """The list of pages."""
    return render(request, "index.html", title="sellerflow")


@router.get("/static/{path:path}", include_in_schema=False)
def static(path: str) -> FileResponse:
    """The pages' CSS and the vendored Chart.js (shipped with the app, never fetched at run time)."""
    target = (STATIC / path).resolve()
    if not target.is_file() or STATIC.resolve() not in target.parents:
        raise HTTPException(404)
    return FileResponse(target, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/reconciliation")
def reconciliation_page(
    request: Request, filters: Filters = Depends(filters_of), page: int = Query(1, ge=1)
) -> HTMLResponse:
    """Filters, the summary per report beside the vendor's totals, lines per status, one page of lines."""
    status_rows, totals = reconciliation.by_status(filters)
    rows, count = reconciliation.lines(filters, page)
    return render(
        request,
        "reconciliation.html",
        title="Сверка",
        active="reconciliation",
        filters=filters,
        options=reconciliation.options(),
        summary=reconciliation.summary(filters),
        status_rows=status_rows,
        totals=totals,
        rows=rows,
        count=count,
        page=page,
        pages_total=max(1, -(-count // reconciliation.PAGE_SIZE)),
        statuses=reconciliation.STATUSES,
        marketplaces=reconciliation.MARKETPLACES,
        line_fields=reconciliation.LINE_FIELDS,
        line_money=reconciliation.LINE_MONEY,
    )


@router.get("/reconciliation/lines/{line_id}")
def reconciliation_line(request: Request, line_id: str) -> HTMLResponse:
    """A line and its sources: 1C documents, the marketplace order, the report lines."""
    found = reconciliation.line_sources(line_id)
    if found is None:
        raise HTTPException(404, "no such reconciliation line")
    return render(
        request,
        "reconciliation_line.html",
        title="Строка сверки",
        active="reconciliation",
        statuses=reconciliation.STATUSES,
        **found,
    )


def _download(content: bytes, media_type: str, suffix: str) -> Response:
    name = f"reconciliation_{datetime.now().strftime('%Y%m%d_%H%M')}.{suffix}"
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/reconciliation/export.xlsx")
def reconciliation_xlsx(filters: Filters = Depends(filters_of)) -> Response:
    """What is on screen as a workbook (one sheet per status)."""
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(exports.xlsx(filters), media, "xlsx")


@router.get("/reconciliation/export.csv")
def reconciliation_csv(filters: Filters = Depends(filters_of)) -> Response:
    """What is on screen as CSV."""
    return _download(exports.csv_bytes(filters), "text/csv; charset=utf-8", "csv")


def _mart(name: str) -> str:
    if name not in {m["name"] for m in marts.marts()}:
        raise HTTPException(404, f"no mart {name!r}")
    return name


@router.get("/marts")
def marts_page(request: Request) -> HTMLResponse:
    """Every mart with its dbt description and downloads."""
    return render(request, "marts.html", title="Витрины", active="marts", marts=marts.marts())


@router.get("/marts/{name}.parquet")
def mart_parquet(name: str) -> Response:
    """The whole mart as Parquet, column docs in the field metadata."""
    return Response(
        marts.parquet(_mart(name)),
        media_type="application/vnd.apache.parquet",
        headers={"Content-Disposition": f'attachment; filename="{name}.parquet"'},
    )


@router.get("/marts/{name}.csv")
def mart_csv(name: str) -> StreamingResponse:
    """The whole mart as CSV (streamed)."""
    return StreamingResponse(
        marts.csv_chunks(_mart(name)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/marts/{name}/columns.csv")
def mart_columns_csv(name: str) -> Response:
    """The mart's column docs as CSV."""
    return Response(
        marts.columns_csv(_mart(name)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}_columns.csv"'},
    )


@router.get("/marts/{name}")
def mart_page(request: Request, name: str) -> HTMLResponse:
    """One mart: its description and documented columns."""
    _mart(name)
    docs = marts._model_docs().get(name, {})
    return render(
        request, "mart.html", title=name, active="marts", name=name,
        description=docs.get("description", ""), columns=marts.columns(name),
    )  # fmt: skip


@router.get("/dashboards")
def dashboards_page(request: Request, grain: str = "week") -> HTMLResponse:
    """Every chart with its data, its mart and its SQL."""
    grain = grain if grain in dashboards.GRAINS else "week"
    payload = [
        {
            "key": c.key,
            "kind": c.kind,
            "stacked": c.stacked,
            "percent": c.percent,
            "data": dashboards.data(c, grain),
        }
        for c in dashboards.CHARTS
    ]
    return render(
        request, "dashboards.html", title="Дашборды", active="dashboards", charts=dashboards.CHARTS,
        grain=grain, grains=dashboards.GRAINS, payload=payload,
        sqls={c.key: dashboards.sql_of(c, grain) for c in dashboards.CHARTS},
    )  # fmt: skip


@router.get("/dashboards/{key}.json", response_model=None)  # served as returned, not through a model
def dashboard_data(key: str, grain: str = "week") -> dict[str, Any]:
    """One chart's data and SQL as JSON."""
    chart = dashboards.BY_KEY.get(key)
    if chart is None:
        raise HTTPException(404, f"no chart {key!r}")
    return {"mart": chart.mart, "sql": dashboards.sql_of(chart, grain), **dashboards.data(chart, grain)}


@router.get("/health")
def health_page(request: Request) -> HTMLResponse:
    """Syncs and freshness, tokens, quarantine, schema drift, outbox."""
    return render(
        request, "health.html", title="Состояние данных", active="health", syncs=health.syncs(),
        credentials=health.credentials(), quarantine=health.quarantine_tables(), outbox=health.outbox(),
        schema_drift=health.schema_drift(),
    )  # fmt: skip


@router.get("/health/quarantine/{table}")
def quarantine_page(request: Request, table: str, page: int = Query(1, ge=1)) -> HTMLResponse:
    """The records of one quarantine table."""
    if table not in {q["table"] for q in health.quarantine_tables()}:
        raise HTTPException(404, f"no quarantine table {table!r}")
    rows, total = health.quarantine_rows(table, page)
    return render(
        request, "quarantine.html", title=f"quarantine.{table}", active="health", table=table, rows=rows,
        total=total, page=page, page_size=health.QUARANTINE_PAGE,
    )  # fmt: skip


def _upload_page(request: Request, result: dict[str, Any] | None = None) -> HTMLResponse:
    return render(
        request, "upload.html", title="Загрузка отчётов", active="upload", result=result,
        sources=upload.FILE_ONLY_SOURCES, accounts=upload.accounts("megamarket"), uploads=upload.history(),
        missing=upload.importer_status("megamarket"),
    )  # fmt: skip


@router.get("/upload")
def upload_page(request: Request) -> HTMLResponse:
    """The upload form and the history of uploads."""
    return _upload_page(request)


@router.post("/upload")
async def upload_report(
    request: Request,
    source: str = Form("megamarket"),
    account_id: str = Form(...),
    file: UploadFile = File(...),
    user: Any = Depends(current_user),
) -> HTMLResponse:
    """Import one report file through the source's importer; the page shows its verdict."""
    content = await file.read()
    result = upload.upload(source, account_id, file.filename or "report", content, user.get_name())
    return _upload_page(request, result)


@router.get("/docs")
def docs_redirect(request: Request) -> RedirectResponse:
    """The dbt docs site expects a folder URL (it fetches manifest.json and catalog.json beside it)."""
    return RedirectResponse(f"{base_url(request)}/docs/", status_code=307)


@router.get("/docs/")
def docs_index(request: Request) -> Response:
    """dbt's docs site of the warehouse, as the dbt_nightly DAG last generated it."""
    path = artifact_path("index.html")
    if path is None:
        return render(request, "docs_missing.html", title="Документация", active="docs", folder=docs_dir())
    return FileResponse(path, media_type="text/html")


@router.get("/docs/{name}")
def docs_file(name: str) -> FileResponse:
    """manifest.json, catalog.json of the docs site."""
    path = artifact_path(name) if name in DOC_FILES else None
    if path is None:
        raise HTTPException(404)
    return FileResponse(path)


__all__ = ["PAGES", "router"]
