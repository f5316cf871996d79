"""Megamarket commission reports from files (no API serves them): the importer for uploads and the drop-folder
stream read a file whole against the column mapping; a file the mapping does not describe lands nothing and the
error names the columns found and the mapping to edit."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from openpyxl import load_workbook

from sellerflow.extract.account import extract_account
from sellerflow.sources.megamarket import ReportFileError, import_report_file
from sellerflow.sources.megamarket.file_import import DEFAULT_COLUMNS, load_mapping
from sellerflow_emulators.testing.megamarket import (
    FAST,
    MAIN,
    Served,
    cabinets,
    drop_root,
    make_world,
    serve_world,
)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_world(tmp_path_factory.mktemp("megamarket_files_world"))


@pytest.fixture
def mm(pristine: Path, tmp_path: Path) -> Iterator[Served]:
    with serve_world(pristine, tmp_path) as served:
        yield served


def _report_file(mm: Served) -> Path:
    cabinets(mm)  # drops the published reports
    files = sorted((drop_root(mm) / MAIN).glob("*.xlsx"))
    assert files, "the world has a published report"
    return files[0]


def _renamed(content: bytes, old: str, new: str) -> bytes:
    book = load_workbook(io.BytesIO(content))
    for row in book.active.iter_rows():
        for cell in row:
            if cell.value == old:
                cell.value = new
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rows(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        exists = conn.execute("select to_regclass('raw.megamarket_report_rows')").fetchone()
        if not exists or exists[0] is None:
            return 0
        return conn.execute("select count(*) from raw.megamarket_report_rows").fetchone()[0]


def test_an_uploaded_file_lands_its_rows_and_header_in_one_go(mm: Served, dsn: str) -> None:
    path = _report_file(mm)
    result = import_report_file(dsn=dsn, account_id=MAIN, filename=path.name, content=path.read_bytes())
    assert result.rows > 0
    assert _rows(dsn) == result.rows
    with psycopg.connect(dsn) as conn:
        (header,) = conn.execute("select payload from raw.megamarket_reports").fetchone()
    assert header["id"] == result.report_id
    assert [k for k in ("periodStart", "periodEnd", "totals") if not header[k]] == []


def test_an_unknown_column_is_one_clear_error_and_nothing_is_loaded(mm: Served, dsn: str) -> None:
    path = _report_file(mm)
    broken = _renamed(path.read_bytes(), "Вознаграждение, руб.", "Комиссия МП, руб.")
    with pytest.raises(ReportFileError) as raised:
        import_report_file(dsn=dsn, account_id=MAIN, filename=path.name, content=broken)
    message = str(raised.value)
    assert "Комиссия МП, руб." in message, "names the columns it found"
    assert "Вознаграждение, руб." in message, "names the column it misses"
    assert str(DEFAULT_COLUMNS) in message, "names the mapping to edit"
    assert isinstance(raised.value, ValueError)
    assert _rows(dsn) == 0


def test_an_edited_mapping_reads_the_renamed_column(mm: Served, dsn: str, tmp_path: Path) -> None:
    path = _report_file(mm)
    broken = _renamed(path.read_bytes(), "Вознаграждение, руб.", "Комиссия МП, руб.")
    mapping = tmp_path / "columns.yaml"
    mapping.write_text(
        DEFAULT_COLUMNS.read_text(encoding="utf-8").replace(
            '"Вознаграждение, руб.": "Вознаграждение, руб."', '"Вознаграждение, руб.": "Комиссия МП, руб."'
        ),
        encoding="utf-8",
    )
    assert load_mapping(mapping).columns["Вознаграждение, руб."] == "Комиссия МП, руб."
    result = import_report_file(
        dsn=dsn, account_id=MAIN, filename=path.name, content=broken, columns_path=mapping
    )
    with psycopg.connect(dsn) as conn:
        keys = conn.execute("select payload from raw.megamarket_report_rows limit 1").fetchone()[0]
    assert result.rows > 0
    assert "Вознаграждение, руб." in keys


def test_a_bad_file_in_the_drop_folder_fails_the_stream_naming_it_and_lands_nothing(
    mm: Served, dsn: str
) -> None:
    path = _report_file(mm)
    path.write_bytes(_renamed(path.read_bytes(), "Номер заказа", "Заказ"))
    main = next(a for a in cabinets(mm) if a.account_id == MAIN)
    with pytest.raises(ReportFileError, match="Columns found in the file"):
        extract_account(main, dsn, "bad-file", mm.state.now(), force=True, client_options=FAST)
    assert _rows(dsn) == 0
