"""The Megamarket client over real HTTP against the emulator: envelope, success=0 errors, retries; report files."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from sellerflow.sources._http import AuthError, RateLimitError
from sellerflow.sources.account import MarketplaceAccount
from sellerflow.sources.megamarket import MegamarketClient
from sellerflow.sources.megamarket.client import OFFER_SERVICE, MegamarketError, wait_hint_s
from sellerflow.sources.megamarket.file_import import ReportFileError, load_mapping, parse_report_file
from sellerflow.sources.ratelimit import NullLimiter
from sellerflow_emulators.faults import parse_rule
from sellerflow_emulators.limits import LimitConfig
from sellerflow_emulators.testing.megamarket import MAIN, Served, cabinets, make_world, serve_world

FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.02, "max_retries": 3, "timeout_s": 2.0}
SINCE, UNTIL = "2026-08-01T00:00:00+03:00", "2026-09-10T00:00:00+03:00"


class RecordingLimiter(NullLimiter):
    """Grants everything and remembers the pauses the client asked for."""

    def __init__(self) -> None:
        self.penalties: list[tuple[str, str, float]] = []

    def penalize(self, vendor: str, group: str, account: str, seconds: float) -> None:
        self.penalties.append((group, account, seconds))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_world(tmp_path_factory.mktemp("megamarket_client"))


@pytest.fixture
def mm(pristine: Path, tmp_path: Path) -> Iterator[Served]:
    with serve_world(pristine, tmp_path) as served:
        yield served


def main_account(mm: Served, **changes: object) -> MarketplaceAccount:
    account = next(a for a in cabinets(mm) if a.account_id == MAIN)
    return MarketplaceAccount(**{**account.__dict__, **changes})


def test_search_then_get_in_the_envelope(mm: Served) -> None:
    with MegamarketClient(main_account(mm), **FAST) as client:
        ids = client.search_shipments(SINCE, UNTIL, 5)
        shipments = client.get_shipments(ids)
    assert len(ids) == 5
    assert [s["shipmentId"] for s in shipments] == ids
    assert all(s["items"] and s["creationDate"].endswith("+03:00") for s in shipments)


def test_a_refused_token_is_an_auth_error_without_retries(mm: Served) -> None:
    token = "00000000-DEAD-BEEF-0000-000000000000"
    with MegamarketClient(main_account(mm, token=token), **FAST) as client:
        with pytest.raises(AuthError, match="TOKEN_INVALID") as failure:
            client.search_shipments(SINCE, UNTIL, 5)
        assert client.stats.calls == 1
    assert token not in str(failure.value)


def test_a_rate_limit_refusal_inside_http_200_is_retried_and_pauses_the_bucket(mm: Served) -> None:
    mm.state.limits.override("megamarket", "orders", LimitConfig(1, 1.0, 1))
    limiter = RecordingLimiter()
    with MegamarketClient(main_account(mm), limiter, **FAST) as client:
        first = client.search_shipments(SINCE, UNTIL, 3)
        second = client.search_shipments(SINCE, UNTIL, 3)
        assert first == second
        assert client.stats.retries >= 1
        assert set(client.stats.statuses) == {200}
    assert limiter.penalties
    assert all(group == "orders" and account == MAIN and s >= 1 for group, account, s in limiter.penalties)


def test_a_refusal_that_persists_ends_as_a_rate_limit_error(mm: Served) -> None:
    mm.state.limits.override("megamarket", "orders", LimitConfig(1, 60.0, 1))
    with MegamarketClient(main_account(mm), **{**FAST, "max_retries": 1, "max_wait_s": 0.05}) as client:
        client.search_shipments(SINCE, UNTIL, 3)
        with pytest.raises(RateLimitError, match="TOO_MANY_REQUESTS"):
            client.search_shipments(SINCE, UNTIL, 3)
        assert client.stats.calls == 3


@pytest.mark.parametrize("status", [500, 502, 503])
def test_transient_server_errors_are_retried(mm: Served, status: int) -> None:
    mm.state.faults.configure(
        "megamarket", [parse_rule({"kind": "server_error", "status": status, "count": 2})]
    )
    with MegamarketClient(main_account(mm), **FAST) as client:
        assert len(client.search_shipments(SINCE, UNTIL, 2)) == 2
        assert client.stats.statuses[status] == 2
        assert client.stats.retries == 2


def test_a_refused_request_fails_at_once_with_the_vendor_codes(mm: Served) -> None:
    with MegamarketClient(main_account(mm), **FAST) as client:
        with pytest.raises(MegamarketError) as failure:
            client.search_shipments(SINCE, UNTIL, 100_000)
        assert client.stats.calls == 1
    assert failure.value.codes() == {"LIMIT_EXCEEDED"}


def test_unknown_shipments_are_named_by_the_error(mm: Served) -> None:
    with MegamarketClient(main_account(mm), **FAST) as client:
        known = client.search_shipments(SINCE, UNTIL, 1)
        with pytest.raises(MegamarketError) as failure:
            client.get_shipments([*known, "9999999999999"])
    assert failure.value.shipment_ids("SHIPMENT_NOT_FOUND") == {"9999999999999"}


def test_offer_service_single_object_errors_are_read(mm: Served) -> None:
    with MegamarketClient(main_account(mm), **FAST) as client, pytest.raises(MegamarketError) as failure:
        client.call(
            f"{OFFER_SERVICE}/stock/update", {"stocks": [{"offerId": "NO-SUCH-OFFER", "quantity": 1}]}
        )
    assert failure.value.codes() == {"OFFER_NOT_FOUND"}


def test_the_client_has_no_report_call() -> None:
    """Megamarket serves no report over its API (docs/vendors/megamarket.md): the product client must not call the
    emulator-only report paths; reports come as files (sources.megamarket.file_import)."""
    assert not any(hasattr(MegamarketClient, name) for name in ("report_list", "report_file"))


def test_the_dropped_report_file_parses_into_its_lines_and_totals(mm: Served) -> None:
    from datetime import UTC, datetime

    from sellerflow_emulators.megamarket.reports import export_reports

    (path, *_) = export_reports(mm.state.conn(), mm.state.now(), mm.world.parent / "drop")
    parsed = parse_report_file(path.read_bytes(), path.name, load_mapping(), datetime.now(UTC))
    conn = sqlite3.connect(mm.world)
    try:
        lines = conn.execute(
            "select line_no, posting_number, commission_kop from report_lines where report_id = ? order by line_no",
            (parsed.report_id,),
        ).fetchall()
    finally:
        conn.close()
    assert [(r["№ п/п"], r["Номер отправления"]) for r in parsed.rows] == [(n, p) for n, p, _ in lines]
    commission = sum(c for _, _, c in lines)
    assert round(parsed.header["totals"]["Вознаграждение, руб."] * 100) == commission
    assert any(parsed.report_id in line for line in parsed.header["title"])


def test_a_workbook_without_the_header_row_fails_loudly() -> None:
    from datetime import UTC, datetime

    from openpyxl import Workbook as Book

    book = Book()
    book.active.append(["Something else", "entirely"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ReportFileError, match="no header row"):
        parse_report_file(buffer.getvalue(), "x.xlsx", load_mapping(), datetime.now(UTC))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("Повторите запрос через 3 с", 3.0), ("retry in 1.5 sec", 1.5), ("Превышен лимит", None)],
)
def test_the_wait_named_by_a_refusal_is_read(text: str, seconds: float | None) -> None:
    assert wait_hint_s([{"code": "TOO_MANY_REQUESTS", "description": text}]) == seconds
