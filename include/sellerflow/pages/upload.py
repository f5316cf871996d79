"""Report upload: a file-only report (Megamarket's closing reports) for one account goes through the source's
importer, and every attempt is kept in ops.report_uploads with the importer's verdict.

The importer is ``import_report_file`` of the source's package (``sellerflow.sources.megamarket``, written with
issue 14). The page depends only on this small interface: it is called with keywords among ``dsn``,
``account_id``, ``filename`` and ``content`` (bytes) or ``path`` (the file saved to a temporary folder); it
raises ``ValueError`` (or a subclass) with a message for a person when the file's layout is wrong, and returns
the rows it loaded (an int, or an object/dict with ``rows``/``inserted``/``received``).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sellerflow.pages.db import connect, fetch, table_columns, warehouse_dsn
from sellerflow.warehouse.connection import one_row

FILE_ONLY_SOURCES = {"megamarket": "Мегамаркет"}
MAX_BYTES = 50 * 1024 * 1024


class ImporterMissing(RuntimeError):
    """The source's importer is not installed in this version."""


def find_importer(source: str) -> Callable[..., Any]:
    """``import_report_file`` of ``sellerflow.sources.<source>`` or one of its modules."""
    package = importlib.import_module(f"sellerflow.sources.{source}")
    if callable(getattr(package, "import_report_file", None)):
        return package.import_report_file
    for module in pkgutil.iter_modules(package.__path__):
        loaded = importlib.import_module(f"{package.__name__}.{module.name}")
        if callable(getattr(loaded, "import_report_file", None)):
            return loaded.import_report_file
    raise ImporterMissing(
        f"the {source} report importer (import_report_file) is not installed in this version"
    )


def _rows_of(result: Any) -> int | None:
    if isinstance(result, int):
        return result
    for key in ("rows", "inserted", "received", "lines"):
        value = result.get(key) if isinstance(result, dict) else getattr(result, key, None)
        if isinstance(value, int):
            return value
    return None


def _call(importer: Callable[..., Any], account_id: str, filename: str, content: bytes) -> Any:
    wanted = inspect.signature(importer).parameters
    with tempfile.TemporaryDirectory(prefix="sellerflow-upload-") as folder:
        path = Path(folder) / Path(filename).name
        path.write_bytes(content)
        offered = {"dsn": warehouse_dsn(), "account_id": account_id, "filename": filename, "content": content,
                   "data": content, "path": path}  # fmt: skip
        return importer(**{k: v for k, v in offered.items() if k in wanted})


def accounts(source: str) -> list[str]:
    """The cabinets of a file-only source the warehouse knows."""
    rows = fetch("select account_id from marts.dim_accounts where marketplace = %s order by 1", (source,))
    return [r["account_id"] for r in rows]


def upload(source: str, account_id: str, filename: str, content: bytes, user: str) -> dict[str, Any]:
    """Import one file and record the attempt; returns the history row."""
    if source not in FILE_ONLY_SOURCES:
        raise ValueError(f"unknown file-only source {source!r}")
    status, rows, message = "refused", None, None
    if not content:
        message = "Файл пустой."
    elif len(content) > MAX_BYTES:
        message = f"Файл больше {MAX_BYTES // 1024 // 1024} МБ."
    elif account_id not in accounts(source):
        message = f"Кабинет {account_id!r} не найден."
    else:
        try:
            result = _call(find_importer(source), account_id, filename, content)
            status, rows = "imported", _rows_of(result)
        except ImporterMissing as exc:
            status, message = "failed", f"Импорт недоступен: {exc}"
        except ValueError as exc:  # the importer's own words about the file's layout
            message = str(exc)
        except Exception as exc:  # recorded and shown, never swallowed silently
            status, message = "failed", f"{type(exc).__name__}: {exc}"[:2000]
    with connect(read_only=False) as conn:
        return one_row(
            conn,
            "insert into ops.report_uploads (source, account_id, filename, size_bytes, sha256, uploaded_by, status,"
            " rows, message) values (%s, %s, %s, %s, %s, %s, %s, %s, %s) returning *",
            (source, account_id, filename, len(content), hashlib.sha256(content).hexdigest(), user, status, rows,
             message),
        )  # fmt: skip


def history(limit: int = 100) -> list[dict[str, Any]]:
    """The latest uploads, newest first (empty before migration 0070)."""
    if not table_columns("ops", "report_uploads"):
        return []
    return fetch("select * from ops.report_uploads order by id desc limit %s", (limit,))


def importer_status(source: str) -> str | None:
    """None when the importer is there, else why not."""
    try:
        find_importer(source)
    except ImporterMissing as exc:
        return str(exc)
    return None
